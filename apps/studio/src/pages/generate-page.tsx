import { useEffect, useState } from 'react';
import { ApiError, call } from '../api/client';
import type { Model, Task, TaskAsset } from '../api/types';
import type { Draft } from '../draft';
import { GenerateForm } from '../components/generate-form';
import { ImageViewer, type ViewerActions } from '../components/image-viewer';
import { TaskCard } from '../components/task-card';
import type { LiveTasks } from '../hooks';

interface GeneratePageProps extends ViewerActions {
  readonly apiKey: string;
  readonly live: LiveTasks;
  readonly draft: Draft;
  onDraftUsed(): void;
}

/** The form and the caller's newest tasks, updated live. */
export function GeneratePage({ apiKey, live, draft, onDraftUsed, onReusePrompt, onEdit }: GeneratePageProps) {
  const [models, setModels] = useState<readonly Model[]>();
  const [problem, setProblem] = useState<string>();
  const [open, setOpen] = useState<{ task: Task; asset: TaskAsset }>();

  useEffect(() => {
    if (!apiKey) return;
    const abort = new AbortController();
    call<{ data: Model[] }>(apiKey, '/v1/models', { signal: abort.signal }).then(
      ({ body }) => setModels(body.data),
      (failure: unknown) => !abort.signal.aborted && setProblem(failure instanceof ApiError ? failure.describe() : String(failure)),
    );
    return () => abort.abort();
  }, [apiKey]);

  const shown = open && (live.tasks.find((task) => task.id === open.task.id) ?? open.task);
  return (
    <div className="generate-page">
      <section aria-label="New task" className="panel">
        {problem ? <p role="alert" className="error">{problem}</p> : null}
        {models ? <GenerateForm key={draft.version} apiKey={apiKey} models={models} draft={draft} onDraftUsed={onDraftUsed} onCreated={live.upsert} /> : apiKey ? <p aria-busy="true">Loading models…</p> : null}
      </section>
      <section aria-labelledby="tasks-title" className="panel">
        <h2 id="tasks-title">Tasks</h2>
        {live.error ? <p role="alert" className="error">{live.error}</p> : null}
        {live.tasks.length === 0 ? <p className="hint">Tasks you start appear here and update as they run.</p> : null}
        <ul className="tasks">
          {live.tasks.map((task) => (
            <TaskCard key={task.id} apiKey={apiKey} task={task} onTask={live.upsert} onOpen={(item, asset) => setOpen({ task: item, asset })} />
          ))}
        </ul>
      </section>
      {shown && open ? (
        <ImageViewer
          apiKey={apiKey}
          task={shown}
          asset={open.asset}
          onClose={() => setOpen(undefined)}
          onReusePrompt={(task) => {
            setOpen(undefined);
            onReusePrompt(task);
          }}
          onEdit={(next) => {
            setOpen(undefined);
            onEdit(next);
          }}
        />
      ) : null}
    </div>
  );
}
