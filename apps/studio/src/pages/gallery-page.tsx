import { useState } from 'react';
import type { Task, TaskAsset } from '../api/types';
import { AssetImage } from '../components/asset-image';
import { ImageViewer, type ViewerActions } from '../components/image-viewer';
import { usePagedList } from '../hooks';

interface GalleryPageProps extends ViewerActions {
  readonly apiKey: string;
}

const PAGE_SIZE = 24;

/** Completed tasks' images as a grid, newest first; open one full size. */
export function GalleryPage({ apiKey, onReusePrompt, onEdit }: GalleryPageProps) {
  const list = usePagedList<Task>(apiKey, `/v1/generations?status=completed&limit=${PAGE_SIZE}`);
  const [open, setOpen] = useState<{ task: Task; asset: TaskAsset }>();

  const images = list.items.flatMap((task) => task.assets.map((asset, index) => ({ task, asset, index })));
  return (
    <section aria-labelledby="gallery-title" className="panel">
      <h2 id="gallery-title">Gallery</h2>
      {list.problem ? <p role="alert" className="error">{list.problem}</p> : null}
      {!list.loading && images.length === 0 ? <p className="hint">Completed images appear here.</p> : null}
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
      {list.hasMore ? (
        <button type="button" onClick={list.loadMore} disabled={list.loading}>
          {list.loading ? 'Loading…' : 'Load more'}
        </button>
      ) : null}
      {open ? <ImageViewer apiKey={apiKey} task={open.task} asset={open.asset} onClose={() => setOpen(undefined)} onReusePrompt={onReusePrompt} onEdit={onEdit} /> : null}
    </section>
  );
}
