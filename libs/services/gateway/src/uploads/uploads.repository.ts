import { Inject, Injectable } from '@nestjs/common';
import type { Sql } from '@darkroom/database';
import { SQL } from '@darkroom/runtime';

/** An image a caller uploaded for edits; immutable once stored. */
export interface UploadRow {
  readonly id: string;
  readonly accountId: string;
  /** Object key in our bucket. */
  readonly key: string;
  readonly contentType: string;
  readonly bytes: number;
  readonly width: number;
  readonly height: number;
  readonly sha256: string;
  /** ISO time. */
  readonly createdAt: string;
}

interface UploadRecord {
  id: string;
  account_id: string;
  key: string;
  content_type: string;
  bytes: string | number;
  width: number;
  height: number;
  sha256: string;
  created_at: string | Date;
}

const toRow = (record: UploadRecord): UploadRow => ({
  id: record.id,
  accountId: record.account_id,
  key: record.key,
  contentType: record.content_type,
  bytes: Number(record.bytes),
  width: record.width,
  height: record.height,
  sha256: record.sha256,
  createdAt: new Date(record.created_at).toISOString(),
});

const COLUMNS = 'id, account_id, key, content_type, bytes, width, height, sha256, created_at';

/** The `uploads` table: configuration-like records, not business history, so no events. */
@Injectable()
export class UploadsRepository {
  constructor(@Inject(SQL) private readonly sql: Sql) {}

  async insert(upload: Omit<UploadRow, 'createdAt'>): Promise<UploadRow> {
    const { rows } = await this.sql.query<UploadRecord>(
      `INSERT INTO uploads (id, account_id, key, content_type, bytes, width, height, sha256)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
      [upload.id, upload.accountId, upload.key, upload.contentType, upload.bytes, upload.width, upload.height, upload.sha256],
    );
    return toRow(rows[0]);
  }

  /** The account's uploads among `ids` (callers pass UUIDs only); others' and unknown ids are absent. */
  async findOwned(accountId: string, ids: readonly string[]): Promise<ReadonlyMap<string, UploadRow>> {
    if (ids.length === 0) return new Map();
    const { rows } = await this.sql.query<UploadRecord>(
      `SELECT ${COLUMNS} FROM uploads WHERE account_id = $1 AND id = ANY($2::uuid[])`,
      [accountId, [...new Set(ids)]],
    );
    return new Map(rows.map((record) => [record.id, toRow(record)]));
  }
}
