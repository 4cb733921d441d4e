import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { createDataSource, runMigrations, TypeormSql } from '@darkroom/database';
import { CommitFanout, PgEventStore } from '@darkroom/event-store';
import { systemClock } from '@darkroom/kernel';
import { InProcessBus } from '@darkroom/messaging';
import { S3ObjectStorage } from '@darkroom/object-storage';
import { startEmbeddedBucket } from './embedded-bucket';
import type { Platform } from './platform';

const POOL_SIZE = 8;
const BUCKET = 'darkroom';

/**
 * Everything in one process for a machine with nothing installed: PostgreSQL as PGlite
 * behind its wire-protocol socket (so the same pg/TypeORM code runs), an in-process bus
 * and s3rver on loopback behind a signature check (`startEmbeddedBucket`), all keeping their data under `dataDir`.
 */
export async function createEmbeddedPlatform(options: { dataDir: string }): Promise<Platform> {
  const dataDir = resolve(options.dataDir);
  await mkdir(join(dataDir, 'objects'), { recursive: true });

  const pglite = await PGlite.create(join(dataDir, 'pgdata'));
  // One more socket than the pool for the relay's lock session.
  const pgServer = new PGLiteSocketServer({ db: pglite, host: '127.0.0.1', port: 0, maxConnections: POOL_SIZE + 4 });
  await pgServer.start();
  const dataSource = createDataSource({
    url: `postgres://postgres@${pgServer.getServerConn()}/postgres`,
    poolSize: POOL_SIZE,
    applicationName: 'darkroom-embedded',
  });
  await dataSource.initialize();
  await runMigrations(dataSource);
  // NOTIFY does not reach a LISTENing client through pglite-socket (one shared session): the
  // process is the whole system, so its own commits are all there is to hear.
  const commits = new CommitFanout();
  const sql = new TypeormSql(dataSource, { statementsInTransactions: true, onAnnouncedCommit: () => commits.notify() });

  const clock = systemClock;
  const bucket = await startEmbeddedBucket(join(dataDir, 'objects'), clock);
  const objects = new S3ObjectStorage({
    endpoint: bucket.endpoint,
    region: 'us-east-1',
    bucket: BUCKET,
    ...bucket.credentials,
    forcePathStyle: true,
  });
  await objects.ensureBucket();

  const bus = new InProcessBus({ clock });
  return {
    sql,
    store: new PgEventStore(sql),
    bus,
    objects,
    clock,
    pollIntervalMs: 50,
    commits,
    async close() {
      await bus.close();
      await dataSource.destroy();
      await bucket.close();
      await pgServer.stop();
      await pglite.close();
    },
  };
}
