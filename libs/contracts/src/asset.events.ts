import type { DomainEvent } from './envelope';
import type { FailureCode } from './failure-codes';

/** How a rejected output fails its task: not a keepable image, or refused by moderation. */
export type AssetRejectionCode = Extract<FailureCode, 'storage_error' | 'content_moderated'>;

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
    /** Where the provider-adapter staged the bytes, if it did; storage deletes it once this is recorded. */
    readonly stagingKey?: string;
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
    /** The task's failure code; absent (events before moderation) means `storage_error`. */
    readonly code?: AssetRejectionCode;
    /** Where the provider-adapter staged the bytes, if it did; storage deletes it once this is recorded. */
    readonly stagingKey?: string;
  }
>;

export type AssetDeleted = DomainEvent<
  'AssetDeleted',
  { readonly assetId: string; readonly taskId: string; readonly deletedAt: string }
>;

export type AssetEvent = AssetStored | AssetRejected | AssetDeleted;
