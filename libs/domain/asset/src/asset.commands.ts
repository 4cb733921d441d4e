import type { AssetRejectionCode } from '@darkroom/contracts';

/** Every command carries the time it is decided at (ISO 8601); the domain reads no clock. */
interface Timed {
  readonly now: string;
}

/** Output `index` of a task is in our bucket under `key`. `assetId` derives from taskId + index. */
export interface StoreAsset extends Timed {
  readonly type: 'StoreAsset';
  readonly assetId: string;
  readonly taskId: string;
  readonly accountId: string;
  readonly index: number;
  /** How many outputs the provider job produced. */
  readonly outputCount: number;
  readonly key: string;
  /** Hex SHA-256 of the stored bytes. */
  readonly sha256: string;
  readonly bytes: number;
  readonly contentType: string;
  /** Pixels. */
  readonly width: number;
  readonly height: number;
  /** The staged copy the bytes came from, to be deleted once the asset is recorded. */
  readonly stagingKey?: string;
}

/** Output `index` could not be stored (missing, unreadable, not an image, or blocked by moderation). */
export interface RejectAsset extends Timed {
  readonly type: 'RejectAsset';
  readonly assetId: string;
  readonly taskId: string;
  readonly accountId: string;
  readonly index: number;
  readonly reason: string;
  /** Default `storage_error`; `content_moderated` when darkroom's moderation refused the image. */
  readonly code?: AssetRejectionCode;
  /** The staged copy of the refused bytes, to be deleted once the rejection is recorded. */
  readonly stagingKey?: string;
}

/** The object was removed from the bucket (retention); a no-op unless the asset is stored. */
export interface DeleteAsset extends Timed {
  readonly type: 'DeleteAsset';
}

export type AssetCommand = StoreAsset | RejectAsset | DeleteAsset;
