import { terminalStatuses, type GenerationStatus } from '@darkroom/contracts';
import type { BatchItemRecord, BatchRecord } from '@darkroom/read-model-batches';
import type { GenerationRow } from '@darkroom/read-model-generations';

const STATUSES: readonly GenerationStatus[] = ['created', 'queued', 'processing', 'completed', 'failed', 'canceled'];

/**
 * `batch`: counts by status and each item's state. An item the `generations` read model has
 * not seen yet is `queued` (items are created queued); the read model trails the log a moment.
 */
export function toBatchResource(batch: BatchRecord, items: readonly BatchItemRecord[], rows: ReadonlyMap<string, GenerationRow>, baseUrl: string) {
  const counts: Record<GenerationStatus, number> = { created: 0, queued: 0, processing: 0, completed: 0, failed: 0, canceled: 0 };
  const shown = items.map((item) => {
    const row = rows.get(item.taskId);
    const status: GenerationStatus = row?.status ?? 'queued';
    counts[status] += 1;
    return {
      index: item.index,
      custom_id: item.customId,
      task_id: item.taskId,
      status,
      error: row?.error ? { code: row.error.code, message: row.error.message } : null,
      assets: row?.status === 'completed' ? row.assets.map((asset) => ({ id: asset.id, url: `${baseUrl}/v1/assets/${asset.id}` })) : [],
    };
  });
  const ended = shown.every((item) => terminalStatuses.includes(item.status));
  return {
    id: batch.id,
    object: 'batch',
    status: ended ? 'ended' : 'in_progress',
    created_at: batch.createdAt,
    price: batch.price,
    counts: { total: items.length, ...Object.fromEntries(STATUSES.map((status) => [status, counts[status]])) },
    items: shown,
  };
}
