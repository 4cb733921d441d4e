import type { Sql } from '@darkroom/database';
import type { GenerationRow, TaskAsset } from './generation-row';

/** A row of the `generations` table as PostgreSQL returns it. */
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

/** The rows of these ids that exist (a batch's items: one statement, by primary key). */
export async function loadGenerations(sql: Sql, ids: readonly string[]): Promise<GenerationRow[]> {
  if (ids.length === 0) return [];
  const { rows } = await sql.query<GenerationRecord>(`SELECT * FROM generations WHERE id = ANY($1::uuid[])`, [ids]);
  return rows.map(toGenerationRow);
}

export async function saveGeneration(tx: Sql, row: GenerationRow): Promise<void> {
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
}

/** `save` for many rows in one statement (rebuilds): the same columns, the same conflict rule. */
export async function saveGenerations(tx: Sql, rows: readonly GenerationRow[]): Promise<void> {
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
}
