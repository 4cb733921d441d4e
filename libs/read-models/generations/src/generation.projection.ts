import type {
  AssetEvent,
  CreditsCaptured,
  CreditsReleased,
  CreditsReservationRejected,
  CreditsReserved,
  DomainEvent,
  GenerationEvent,
} from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';
import { assertNever } from '@darkroom/kernel';
import { readsEvent, type RowProjection } from '@darkroom/projections';
import type { GenerationRow, TaskAsset } from './generation-row';

/** What the ledger says of a task's credits: a grant or a deferred settlement says nothing. */
type TaskCredits = CreditsReserved | CreditsReservationRejected | CreditsCaptured | CreditsReleased;

/** The events the `generations` read model reads: the task's own, its credits', its assets'. */
export type GenerationRowEvent = GenerationEvent | TaskCredits | AssetEvent;

const generationTypes: readonly GenerationEvent['type'][] = [
  'GenerationCreated',
  'GenerationQueued',
  'GenerationProcessing',
  'GenerationRetryScheduled',
  'GenerationOutputStored',
  'GenerationCompleted',
  'GenerationFailed',
  'GenerationCanceled',
];
const creditTypes: readonly TaskCredits['type'][] = [
  'CreditsReserved',
  'CreditsReservationRejected',
  'CreditsCaptured',
  'CreditsReleased',
];
const assetTypes: readonly AssetEvent['type'][] = ['AssetStored', 'AssetDeleted'];

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

interface GenerationRecord {
  id: string;
  account_id: string;
  status: GenerationRow['status'];
  params: GenerationRow['request'];
  price: number;
  credits_state: GenerationRow['creditsState'];
  idempotency_key: string | null;
  deadline: Date;
  created_at: Date;
  queued_at: Date | null;
  processing_at: Date | null;
  completed_at: Date | null;
  failed_at: Date | null;
  canceled_at: Date | null;
  error: GenerationRow['error'];
  assets: TaskAsset[];
  attempts: number;
  metadata: Record<string, string>;
}

const iso = (value: Date | null): string | null => (value ? new Date(value).toISOString() : null);

export function toGenerationRow(record: GenerationRecord): GenerationRow {
  return {
    id: record.id,
    accountId: record.account_id,
    status: record.status,
    request: record.params,
    price: record.price,
    creditsState: record.credits_state,
    idempotencyKey: record.idempotency_key,
    deadline: new Date(record.deadline).toISOString(),
    createdAt: new Date(record.created_at).toISOString(),
    queuedAt: iso(record.queued_at),
    processingAt: iso(record.processing_at),
    completedAt: iso(record.completed_at),
    failedAt: iso(record.failed_at),
    canceledAt: iso(record.canceled_at),
    error: record.error,
    assets: record.assets,
    attempts: record.attempts,
    metadata: record.metadata,
  };
}

export async function loadGeneration(sql: Sql, id: string): Promise<GenerationRow | undefined> {
  const { rows } = await sql.query<GenerationRecord>(`SELECT * FROM generations WHERE id = $1`, [id]);
  return rows[0] ? toGenerationRow(rows[0]) : undefined;
}

export const generationProjection: RowProjection<GenerationRow, GenerationRowEvent> = {
  name: 'generations',
  eventTypes: [...generationTypes, ...creditTypes, ...assetTypes],
  // A credit event names the task as its reservation.
  keyOf: (event) => ('taskId' in event.data ? event.data.taskId : event.data.reservationId),
  evolve: evolveGenerationRow,
  load: loadGeneration,
  async save(tx: Sql, row: GenerationRow) {
    await tx.query(
      `INSERT INTO generations (id, account_id, status, model, prompt, params, price, credits_state, idempotency_key,
         deadline, created_at, queued_at, processing_at, completed_at, failed_at, canceled_at, error, assets,
         attempts, metadata)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
       ON CONFLICT (id) DO UPDATE SET status = $3, credits_state = $8, queued_at = $12, processing_at = $13,
         completed_at = $14, failed_at = $15, canceled_at = $16, error = $17, assets = $18, attempts = $19`,
      [
        row.id,
        row.accountId,
        row.status,
        row.request.model,
        row.request.prompt,
        JSON.stringify(row.request),
        row.price,
        row.creditsState,
        row.idempotencyKey,
        row.deadline,
        row.createdAt,
        row.queuedAt,
        row.processingAt,
        row.completedAt,
        row.failedAt,
        row.canceledAt,
        row.error === null ? null : JSON.stringify(row.error),
        JSON.stringify(row.assets),
        row.attempts,
        JSON.stringify(row.metadata),
      ],
    );
  },
  /** `save` for many rows in one statement (rebuilds): the same columns, the same conflict rule. */
  async saveMany(tx: Sql, rows: readonly GenerationRow[]) {
    if (rows.length === 0) return;
    const records = rows.map((row) => ({
      id: row.id,
      account_id: row.accountId,
      status: row.status,
      model: row.request.model,
      prompt: row.request.prompt,
      params: row.request,
      price: row.price,
      credits_state: row.creditsState,
      idempotency_key: row.idempotencyKey,
      deadline: row.deadline,
      created_at: row.createdAt,
      queued_at: row.queuedAt,
      processing_at: row.processingAt,
      completed_at: row.completedAt,
      failed_at: row.failedAt,
      canceled_at: row.canceledAt,
      error: row.error,
      assets: row.assets,
      attempts: row.attempts,
      metadata: row.metadata,
    }));
    await tx.query(
      `INSERT INTO generations (id, account_id, status, model, prompt, params, price, credits_state, idempotency_key,
         deadline, created_at, queued_at, processing_at, completed_at, failed_at, canceled_at, error, assets,
         attempts, metadata)
       SELECT id, account_id, status, model, prompt, params, price, credits_state, idempotency_key, deadline, created_at,
              queued_at, processing_at, completed_at, failed_at, canceled_at, error, assets, attempts, metadata
         FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, account_id uuid, status text, model text, prompt text,
              params jsonb, price integer, credits_state text, idempotency_key text, deadline timestamptz,
              created_at timestamptz, queued_at timestamptz, processing_at timestamptz, completed_at timestamptz,
              failed_at timestamptz, canceled_at timestamptz, error jsonb, assets jsonb, attempts integer, metadata jsonb)
       ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, credits_state = EXCLUDED.credits_state,
         queued_at = EXCLUDED.queued_at, processing_at = EXCLUDED.processing_at, completed_at = EXCLUDED.completed_at,
         failed_at = EXCLUDED.failed_at, canceled_at = EXCLUDED.canceled_at, error = EXCLUDED.error,
         assets = EXCLUDED.assets, attempts = EXCLUDED.attempts`,
      [JSON.stringify(records)],
    );
  },
};

/** Whether the `generations` read model reads this event (one of a task's correlated history, say). */
export const isGenerationRowEvent = <T extends DomainEvent>(event: T): event is T & GenerationRowEvent => readsEvent(generationProjection, event);
