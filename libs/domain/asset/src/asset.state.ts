import type { AssetEvent } from '@darkroom/contracts';
import { assertNever } from '@darkroom/kernel';

export interface InitialAsset {
  readonly status: 'initial';
}

export interface StoredAsset {
  readonly status: 'stored';
  readonly assetId: string;
  readonly taskId: string;
  readonly accountId: string;
  readonly index: number;
  readonly key: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly contentType: string;
  readonly width: number;
  readonly height: number;
}

/** Rejected and deleted assets are final: nothing is stored under their id again. */
export interface ClosedAsset {
  readonly status: 'rejected' | 'deleted';
  readonly assetId: string;
}

export type AssetState = InitialAsset | StoredAsset | ClosedAsset;

export type AssetStatus = AssetState['status'];

export const initialAssetState = (): AssetState => ({ status: 'initial' });

export function evolveAsset(state: AssetState, event: AssetEvent): AssetState {
  switch (event.type) {
    case 'AssetStored': {
      const { assetId, taskId, accountId, index, key, sha256, bytes, contentType, width, height } = event.data;
      return { status: 'stored', assetId, taskId, accountId, index, key, sha256, bytes, contentType, width, height };
    }
    case 'AssetRejected':
      return { status: 'rejected', assetId: event.data.assetId };
    case 'AssetDeleted':
      return { status: 'deleted', assetId: event.data.assetId };
    default:
      return assertNever(event);
  }
}
