import type {
  AssetEvent,
  CreditsCaptured,
  CreditsReleased,
  CreditsReservationRejected,
  CreditsReserved,
  GenerationEvent,
} from '@darkroom/contracts';
import { assertNever } from '@darkroom/kernel';
import type { GenerationRow, TaskAsset } from './generation-row';

/** What the ledger says of a task's credits: a grant or a deferred settlement says nothing. */
export type TaskCredits = CreditsReserved | CreditsReservationRejected | CreditsCaptured | CreditsReleased;

/** The events the `generations` read model reads: the task's own, its credits', its assets'. */
export type GenerationRowEvent = GenerationEvent | TaskCredits | AssetEvent;

function evolveCredits(row: GenerationRow, event: TaskCredits): GenerationRow {
  switch (event.type) {
    case 'CreditsReserved':
      return { ...row, creditsState: 'reserved' };
    case 'CreditsReservationRejected':
      return { ...row, creditsState: 'rejected' };
    case 'CreditsCaptured':
      return { ...row, creditsState: 'captured' };
    case 'CreditsReleased':
      return { ...row, creditsState: 'released' };
    default:
      return assertNever(event);
  }
}

function evolveAssets(row: GenerationRow, event: AssetEvent): GenerationRow {
  switch (event.type) {
    case 'AssetStored': {
      const { assetId, index, contentType, width, height, bytes, sha256 } = event.data;
      const asset: TaskAsset = { id: assetId, index, contentType, width, height, bytes, sha256, deletedAt: null };
      const others = row.assets.filter((existing) => existing.id !== assetId);
      return { ...row, assets: [...others, asset].sort((a, b) => a.index - b.index) };
    }
    case 'AssetDeleted':
      return {
        ...row,
        assets: row.assets.map((asset) => (asset.id === event.data.assetId ? { ...asset, deletedAt: event.data.deletedAt } : asset)),
      };
    case 'AssetRejected':
      return row;
    default:
      return assertNever(event);
  }
}

/**
 * Pure: the task row after one event of its generation stream, its credit reservation or
 * one of its assets. Asset events come before `GenerationCompleted` in the log, so a row
 * that says completed already lists every asset.
 */
export function evolveGenerationRow(row: GenerationRow | undefined, event: GenerationRowEvent): GenerationRow | undefined {
  if (event.type === 'GenerationCreated') {
    const { taskId, request, price, idempotencyKey, deadline, metadata, createdAt } = event.data;
    return {
      id: taskId,
      accountId: request.accountId,
      status: 'created',
      request,
      price,
      creditsState: 'pending',
      idempotencyKey: idempotencyKey ?? null,
      deadline,
      createdAt,
      queuedAt: null,
      processingAt: null,
      completedAt: null,
      failedAt: null,
      canceledAt: null,
      error: null,
      assets: [],
      attempts: 0,
      metadata: metadata ?? {},
    };
  }
  if (!row) return undefined;
  switch (event.type) {
    case 'GenerationQueued':
      return { ...row, status: 'queued', queuedAt: event.data.queuedAt };
    case 'GenerationProcessing':
      return { ...row, status: 'processing', processingAt: event.data.processingAt, attempts: Math.max(row.attempts, event.data.attempt) };
    // Attempts made: a task's events may be handled out of order, so a scheduled retry (the
    // attempt before it failed) and a final failure count too, not only GenerationProcessing.
    case 'GenerationRetryScheduled':
      return { ...row, attempts: Math.max(row.attempts, event.data.attempt - 1) };
    case 'GenerationOutputStored':
      return row;
    case 'GenerationCompleted':
      return { ...row, status: 'completed', completedAt: event.data.completedAt };
    case 'GenerationFailed': {
      const { code, message, providerDetail, attempt, failedAt } = event.data;
      const attempts = Math.max(row.attempts, attempt ?? 0);
      return { ...row, status: 'failed', failedAt, attempts, error: { code, message, providerDetail } };
    }
    case 'GenerationCanceled':
      return { ...row, status: 'canceled', canceledAt: event.data.canceledAt };
    case 'AssetStored':
    case 'AssetRejected':
    case 'AssetDeleted':
      return evolveAssets(row, event);
    default:
      return evolveCredits(row, event);
  }
}
