import type { Sql } from '@darkroom/database';
import type { AssetRow } from './asset.evolve';

interface AssetRecord {
  id: string;
  task_id: string;
  account_id: string;
  output_index: number;
  key: string;
  content_type: string;
  bytes: string;
  sha256: string;
  width: number;
  height: number;
  stored_at: Date;
  deleted_at: Date | null;
}

function toAssetRow(record: AssetRecord): AssetRow {
  return {
    id: record.id,
    taskId: record.task_id,
    accountId: record.account_id,
    index: record.output_index,
    key: record.key,
    contentType: record.content_type,
    bytes: Number(record.bytes),
    sha256: record.sha256,
    width: record.width,
    height: record.height,
    storedAt: new Date(record.stored_at).toISOString(),
    deletedAt: record.deleted_at ? new Date(record.deleted_at).toISOString() : null,
  };
}

export async function loadAsset(sql: Sql, id: string): Promise<AssetRow | undefined> {
  const { rows } = await sql.query<AssetRecord>(`SELECT * FROM assets WHERE id = $1`, [id]);
  return rows[0] ? toAssetRow(rows[0]) : undefined;
}

export async function saveAsset(tx: Sql, row: AssetRow): Promise<void> {
  await tx.query(
    `INSERT INTO assets (id, task_id, account_id, output_index, key, content_type, bytes, sha256, width, height,
       stored_at, deleted_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
     ON CONFLICT (id) DO UPDATE SET deleted_at = $12`,
    [row.id, row.taskId, row.accountId, row.index, row.key, row.contentType, row.bytes, row.sha256, row.width,
      row.height, row.storedAt, row.deletedAt],
  );
}
