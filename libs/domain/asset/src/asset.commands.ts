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
}

/** Output `index` could not be stored (missing, unreadable or not an image). */
export interface RejectAsset extends Timed {
  readonly type: 'RejectAsset';
  readonly assetId: string;
  readonly taskId: string;
  readonly accountId: string;
  readonly index: number;
  readonly reason: string;
}

export interface DeleteAsset extends Timed {
  readonly type: 'DeleteAsset';
}

export type AssetCommand = StoreAsset | RejectAsset | DeleteAsset;
