import type { AssetEvent } from '@darkroom/contracts';
import { assertNever } from '@darkroom/kernel';

/** One stored image as the API serves it. */
export interface AssetRow {
  readonly id: string;
  readonly taskId: string;
  readonly accountId: string;
  readonly index: number;
  readonly key: string;
  readonly contentType: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly width: number;
  readonly height: number;
  readonly storedAt: string;
  readonly deletedAt: string | null;
}

/** Pure: the asset row after one asset event; a rejected output never gets a row. */
export function evolveAsset(row: AssetRow | undefined, event: AssetEvent): AssetRow | undefined {
  switch (event.type) {
    case 'AssetStored': {
      const { assetId, taskId, accountId, index, key, contentType, bytes, sha256, width, height, storedAt } = event.data;
      return { id: assetId, taskId, accountId, index, key, contentType, bytes, sha256, width, height, storedAt, deletedAt: null };
    }
    case 'AssetRejected':
      return row;
    case 'AssetDeleted':
      return row && { ...row, deletedAt: event.data.deletedAt };
    default:
      return assertNever(event);
  }
}
