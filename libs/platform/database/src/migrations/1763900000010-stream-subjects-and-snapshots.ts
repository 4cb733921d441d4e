import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Commands on a never-ending stream (a credit account) at a cost that does not grow with its
 * history (decision 0020): each event may name its `subject` (a reservation, a grant), indexed
 * with its stream, and `stream_snapshots` keeps a stream's summary with the version it was
 * taken at, written in the transaction of each append.
 *
 * Credit-account events recorded before get their subject here, and each existing credit
 * account its snapshot (the totals `evolveCreditTotals` folds, summed in SQL), so an existing
 * database needs no other step and no account pays for its past on its next command. Were a
 * snapshot missing or of another shape, the first command would fold the stream once instead.
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
    await db.query(`
      INSERT INTO stream_snapshots (stream_id, name, stream_version, state)
      SELECT stream_id, 'credit-account/totals-v1', max(stream_version),
             jsonb_build_object('granted', coalesce(sum(amount) FILTER (WHERE type = 'CreditsGranted'), 0),
                                'captured', coalesce(sum(amount) FILTER (WHERE type = 'CreditsCaptured'), 0),
                                'reserved', coalesce(sum(amount) FILTER (WHERE type = 'CreditsReserved'), 0)
                                          - coalesce(sum(amount) FILTER (WHERE type IN ('CreditsCaptured', 'CreditsReleased')), 0))
        FROM (SELECT stream_id, stream_version, type, (data->>'amount')::bigint AS amount
                FROM events WHERE stream_id LIKE 'credit-account-%') AS credit_events
       GROUP BY stream_id
      ON CONFLICT (stream_id) DO NOTHING`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE stream_snapshots`);
    await db.query(`DROP INDEX events_stream_subject_idx`);
    await db.query(`ALTER TABLE events DROP COLUMN subject`);
  }
}
