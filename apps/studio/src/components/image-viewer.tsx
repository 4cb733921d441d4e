import { useEffect, useRef, useState } from 'react';
import { ApiError, call } from '../api/client';
import type { Task, TaskAsset, Upload } from '../api/types';
import type { Draft } from '../draft';
import { useAssetUrl } from '../hooks';

export interface ViewerActions {
  onReusePrompt(task: Task): void;
  onEdit(draft: Omit<Draft, 'version'>): void;
}

interface ViewerProps extends ViewerActions {
  readonly apiKey: string;
  readonly task: Task;
  readonly asset: TaskAsset;
  onClose(): void;
}

/** One image full size, in a modal dialog: download it, reuse its prompt, or edit it. */
export function ImageViewer({ apiKey, task, asset, onClose, onReusePrompt, onEdit }: ViewerProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const { url, error } = useAssetUrl(apiKey, asset.id);
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
  }, []);

  const edit = async () => {
    if (!url) return;
    setBusy(true);
    setProblem(undefined);
    try {
      const blob = await (await fetch(url)).blob();
      const form = new FormData();
      form.append('file', blob, `${asset.id}.png`);
      const { body } = await call<Upload>(apiKey, '/v1/uploads', { method: 'POST', body: form });
      onEdit({ model: task.model, prompt: '', inputImages: [{ upload: body, previewUrl: URL.createObjectURL(blob) }] });
    } catch (failure) {
      setProblem(failure instanceof ApiError ? failure.describe() : String(failure));
      setBusy(false);
    }
  };

  const index = task.assets.findIndex((item) => item.id === asset.id) + 1;
  return (
    <dialog ref={dialog} className="viewer" aria-labelledby="viewer-title" onClose={onClose}>
      <header>
        <h2 id="viewer-title">
          Image {index} of {task.assets.length}
        </h2>
        <button type="button" className="ghost" onClick={() => dialog.current?.close()}>
          Close
        </button>
      </header>
      <div className="viewer-image">
        {url ? (
          <img src={url} alt={`Full size: ${task.prompt}`} width={asset.width} height={asset.height} data-asset-id={asset.id} />
        ) : (
          <p aria-busy={!error}>{error ?? 'Loading…'}</p>
        )}
      </div>
      <p className="viewer-caption">
        <span className="prompt">{task.prompt}</span> · {task.model} · {asset.width}×{asset.height} · {new Date(task.created_at).toLocaleString()}
      </p>
      <div className="actions">
        <a className={`button${url ? '' : ' disabled'}`} href={url} download={`darkroom-${task.id}-${index}.png`} aria-disabled={!url}>
          Download
        </a>
        <button type="button" onClick={() => onReusePrompt(task)}>
          Reuse prompt
        </button>
        <button type="button" onClick={() => void edit()} disabled={!url || busy}>
          {busy ? 'Uploading…' : 'Edit this image'}
        </button>
      </div>
      {problem ? <p role="alert" className="error">{problem}</p> : null}
    </dialog>
  );
}
