import type { DomainEvent } from './envelope';

export type AssetStored = DomainEvent<
  'AssetStored',
  {
    readonly assetId: string;
    readonly taskId: string;
    readonly accountId: string;
    readonly index: number;
    /** How many outputs the provider job produced, so the task knows when all are stored. */
    readonly outputCount: number;
    readonly key: string;
    readonly sha256: string;
    readonly bytes: number;
    readonly contentType: string;
    readonly width: number;
    readonly height: number;
    readonly storedAt: string;
  }
>;

export type AssetRejected = DomainEvent<
  'AssetRejected',
  {
    readonly assetId: string;
    readonly taskId: string;
    readonly accountId: string;
    readonly index: number;
    readonly reason: string;
    readonly rejectedAt: string;
  }
>;

export type AssetDeleted = DomainEvent<
  'AssetDeleted',
  { readonly assetId: string; readonly taskId: string; readonly deletedAt: string }
>;

export type AssetEvent = AssetStored | AssetRejected | AssetDeleted;
