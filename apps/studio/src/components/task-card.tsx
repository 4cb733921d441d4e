import { useState } from 'react';
import { ApiError, call } from '../api/client';
import type { Task, TaskAsset } from '../api/types';
import { useNow } from '../hooks';
import { failureReason } from '../lib/failure-reason';
import { creditStateLabel, elapsedMs, formatDuration, isTerminal, statusLabel } from '../lib/tasks';
import { AssetImage } from './asset-image';

interface TaskCardProps {
  readonly apiKey: string;
  readonly task: Task;
  onTask(task: Task): void;
  onOpen(task: Task, asset: TaskAsset): void;
}

/** One task as it runs: status (live), elapsed time, cancel while running, the reason when it fails, its images. */
export function TaskCard({ apiKey, task, onTask, onOpen }: TaskCardProps) {
  const running = !isTerminal(task.status);
  const now = useNow(1_000, running);
  const [problem, setProblem] = useState<string>();
  const [canceling, setCanceling] = useState(false);
  const reason = failureReason(task);

  const cancel = async () => {
    setCanceling(true);
    setProblem(undefined);
    try {
      onTask((await call<Task>(apiKey, `/v1/generations/${task.id}/cancel`, { method: 'POST' })).body);
    } catch (failure) {
      setProblem(failure instanceof ApiError && failure.code === 'generation_not_cancelable' ? 'It finished before it could be canceled.' : String(failure instanceof ApiError ? failure.describe() : failure));
    } finally {
      setCanceling(false);
    }
  };

  return (
    <li className={`task task-${task.status}`} data-task-id={task.id} aria-label={`Task: ${task.prompt}`}>
      <div className="task-head">
        <span className={`status status-${task.status}`} data-testid="status" aria-live="polite">
          {statusLabel(task.status)}
        </span>
        <span className="elapsed" title="Elapsed">
          {formatDuration(elapsedMs(task, now))}
        </span>
        <span className="model">{task.model}</span>
      </div>
      <p className="prompt">{task.prompt}</p>
      {reason ? (
        <p className={task.status === 'failed' ? 'reason error' : 'reason'} data-testid="reason">
          {reason.summary}
          {reason.detail ? <span className="reason-detail"> ({reason.detail})</span> : null}
        </p>
      ) : null}
      {task.assets.length > 0 ? (
        <ul className="thumbs" aria-label="Images">
          {task.assets.map((asset, index) => (
            <li key={asset.id}>
              <button type="button" className="thumb" onClick={() => onOpen(task, asset)} aria-label={`Open image ${index + 1}: ${task.prompt}`}>
                <AssetImage apiKey={apiKey} asset={asset} alt="" />
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <div className="task-actions">
        {running ? (
          <button type="button" className="danger" onClick={() => void cancel()} disabled={canceling} aria-label={`Cancel task: ${task.prompt}`}>
            {canceling ? 'Canceling…' : 'Cancel'}
          </button>
        ) : null}
        <a href={`#/tasks/${task.id}`} aria-label={`Details of task: ${task.prompt}`}>
          Details
        </a>
        <span className="price">
          {task.credits.price} credit{task.credits.price === 1 ? '' : 's'} · {creditStateLabel(task.credits.state)}
        </span>
      </div>
      {problem ? <p role="alert" className="error">{problem}</p> : null}
    </li>
  );
}
