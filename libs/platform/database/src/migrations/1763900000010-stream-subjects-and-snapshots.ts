import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Commands on a never-ending stream (a credit account) at a cost that does not grow with its
 * history (decision 0020): each event may name its `subject` (a reservation, a grant), indexed
 * with its stream, and `stream_snapshots` keeps a stream's summary with the version it was
 * taken at, written in the transaction of each append.
 *
 * Credit-account events recorded before get their subject here, so an existing database needs
 * no other step: the first command on an old account folds its stream once (a page at a time)
 * and stores the snapshot; every later one reads the snapshot.
 */
export class StreamSubjectsAndSnapshots1763900000010 implements MigrationInterface {
  name = 'StreamSubjectsAndSnapshots1763900000010';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE events ADD COLUMN IF NOT EXISTS subject text`);
    await db.query(`
      UPDATE events
         SET subject = CASE type WHEN 'CreditsGranted' THEN 'grant:' || (data->>'grantId')
                                 ELSE 'reservation:' || (data->>'reservationId') END
       WHERE stream_id LIKE 'credit-account-%' AND subject IS NULL`);
    await db.query(
      `CREATE INDEX IF NOT EXISTS events_stream_subject_idx ON events (stream_id, subject, stream_version) WHERE subject IS NOT NULL`,
    );
    await db.query(`
      CREATE TABLE IF NOT EXISTS stream_snapshots (
        stream_id text PRIMARY KEY,
        name text NOT NULL,
        stream_version integer NOT NULL,
        state jsonb NOT NULL,
        taken_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE stream_snapshots`);
    await db.query(`DROP INDEX events_stream_subject_idx`);
    await db.query(`ALTER TABLE events DROP COLUMN subject`);
  }
}
