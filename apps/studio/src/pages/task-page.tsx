import { useEffect, useState } from 'react';
import { ApiError, call } from '../api/client';
import type { Task, TimelineEntry } from '../api/types';
import { failureReason } from '../lib/failure-reason';
import { useNow } from '../hooks';
import { creditStateLabel, endedAt, elapsedMs, formatDuration, isTerminal, statusLabel } from '../lib/tasks';
import { describeEvent } from '../lib/timeline';
import { Table } from '../components/table';

const REFRESH_MS = 1_500;
/** After the task ends, credits settle a moment later: keep looking this long. */
const SETTLE_MS = 5_000;

/** One task and its timeline: every state change, provider attempt, observation, storage and credit event. */
export function TaskPage({ apiKey, taskId, onTask }: { apiKey: string; taskId: string; onTask(task: Task): void }) {
  const [task, setTask] = useState<Task>();
  const [events, setEvents] = useState<readonly TimelineEntry[]>([]);
  const [problem, setProblem] = useState<string>();
  const now = useNow(1_000, task !== undefined && !isTerminal(task.status));

  useEffect(() => {
    if (!apiKey) return;
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      try {
        const [current, timeline] = await Promise.all([
          call<Task>(apiKey, `/v1/generations/${encodeURIComponent(taskId)}`, { signal: abort.signal }),
          call<{ data: TimelineEntry[] }>(apiKey, `/v1/generations/${encodeURIComponent(taskId)}/events`, { signal: abort.signal }),
        ]);
        setTask(current.body);
        setEvents(timeline.body.data);
        onTask(current.body);
        const ended = endedAt(current.body);
        if (!isTerminal(current.body.status) || (ended && Date.now() - Date.parse(ended) < SETTLE_MS)) timer = setTimeout(() => void load(), REFRESH_MS);
      } catch (failure) {
        if (!abort.signal.aborted) setProblem(failure instanceof ApiError ? failure.describe() : String(failure));
      }
    };
    void load();
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [apiKey, taskId, onTask]);

  if (problem) return <p role="alert" className="error">{problem}</p>;
  if (!task) return <p aria-busy="true">Loading task…</p>;
  const start = Date.parse(task.created_at);
  const reason = failureReason(task);
  return (
    <section aria-labelledby="task-title" className="panel">
      <p>
        <a href="#/">← Back to tasks</a>
      </p>
      <h2 id="task-title">Task {task.id}</h2>
      <dl className="facts">
        <dt>Status</dt>
        <dd data-testid="status">{statusLabel(task.status)}</dd>
        <dt>Model</dt>
        <dd>{task.model}</dd>
        <dt>Prompt</dt>
        <dd>{task.prompt}</dd>
        <dt>Size</dt>
        <dd>
          {task.params.size} · n={task.params.n} · seed {task.params.seed}
        </dd>
        <dt>Elapsed</dt>
        <dd>{formatDuration(elapsedMs(task, now))}</dd>
        <dt>Credits</dt>
        <dd>
          {task.credits.price} · {creditStateLabel(task.credits.state)}
        </dd>
        {reason ? (
          <>
            <dt>Outcome</dt>
            <dd>{reason.summary}</dd>
          </>
        ) : null}
      </dl>
      <h3>Timeline</h3>
      <Table columns={['Time', '+', 'Event', 'Detail']} caption="Every event of this task, oldest first" className="timeline">
        {events.map((entry) => {
          const { title, detail } = describeEvent(entry);
          return (
            <tr key={entry.id} data-event-type={entry.type}>
              <td>
                <time dateTime={entry.recorded_at}>{new Date(entry.recorded_at).toLocaleTimeString()}</time>
              </td>
              <td>{formatDuration(Math.max(0, Date.parse(entry.recorded_at) - start))}</td>
              <td title={entry.type}>{title}</td>
              <td>{detail}</td>
            </tr>
          );
        })}
      </Table>
    </section>
  );
}
