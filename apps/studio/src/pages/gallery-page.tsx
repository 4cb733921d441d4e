import { useCallback, useEffect, useState } from 'react';
import { ApiError, call } from '../api/client';
import type { Page, Task, TaskAsset } from '../api/types';
import { AssetImage } from '../components/asset-image';
import { ImageViewer, type ViewerActions } from '../components/image-viewer';

interface GalleryPageProps extends ViewerActions {
  readonly apiKey: string;
}

const PAGE_SIZE = 24;

/** Completed tasks' images as a grid, newest first; open one full size. */
export function GalleryPage({ apiKey, onReusePrompt, onEdit }: GalleryPageProps) {
  const [tasks, setTasks] = useState<readonly Task[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [problem, setProblem] = useState<string>();
  const [open, setOpen] = useState<{ task: Task; asset: TaskAsset }>();

  const load = useCallback(
    async (after: string | null, signal?: AbortSignal) => {
      setLoading(true);
      try {
        const query = new URLSearchParams({ status: 'completed', limit: String(PAGE_SIZE), ...(after ? { cursor: after } : {}) });
        const { body } = await call<Page<Task>>(apiKey, `/v1/generations?${query}`, { signal });
        setTasks((current) => (after ? [...current, ...body.data] : body.data));
        setCursor(body.next_cursor);
      } catch (failure) {
        if (!signal?.aborted) setProblem(failure instanceof ApiError ? failure.describe() : String(failure));
      } finally {
        if (!signal?.aborted) setLoading(false);
      }
    },
    [apiKey],
  );

  useEffect(() => {
    if (!apiKey) return;
    const abort = new AbortController();
    void load(null, abort.signal);
    return () => abort.abort();
  }, [apiKey, load]);

  const images = tasks.flatMap((task) => task.assets.map((asset, index) => ({ task, asset, index })));
  return (
    <section aria-labelledby="gallery-title" className="panel">
      <h2 id="gallery-title">Gallery</h2>
      {problem ? <p role="alert" className="error">{problem}</p> : null}
      {!loading && images.length === 0 ? <p className="hint">Completed images appear here.</p> : null}
      <ul className="gallery">
        {images.map(({ task, asset, index }) => (
          <li key={asset.id}>
            <button type="button" className="thumb" onClick={() => setOpen({ task, asset })} aria-label={`Open image ${index + 1}: ${task.prompt}`}>
              <AssetImage apiKey={apiKey} asset={asset} alt="" />
            </button>
            <p className="prompt">{task.prompt}</p>
            <p className="hint">
              {task.model} · <time dateTime={task.created_at}>{new Date(task.created_at).toLocaleString()}</time>
            </p>
          </li>
        ))}
      </ul>
      {cursor ? (
        <button type="button" onClick={() => void load(cursor)} disabled={loading}>
          {loading ? 'Loading…' : 'Load more'}
        </button>
      ) : null}
      {open ? <ImageViewer apiKey={apiKey} task={open.task} asset={open.asset} onClose={() => setOpen(undefined)} onReusePrompt={onReusePrompt} onEdit={onEdit} /> : null}
    </section>
  );
}
