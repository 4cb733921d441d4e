import { createDataSource } from '@darkroom/database';
import { announcingSql, PgCommitListener, PgEventStore } from '@darkroom/event-store';
import type { PlatformEnv } from '@darkroom/config';
import { systemClock } from '@darkroom/kernel';
import { RabbitMqBus } from '@darkroom/messaging';
import { S3ObjectStorage } from '@darkroom/object-storage';
import type { Platform } from './platform';

/** Production wiring: PostgreSQL, RabbitMQ and S3/R2/MinIO, all from validated settings. */
export async function createDistributedPlatform(env: PlatformEnv, appName: string): Promise<Platform> {
  const dataSource = createDataSource({
    url: env.DATABASE_URL,
    poolSize: env.DATABASE_POOL_SIZE,
    applicationName: `darkroom-${appName}`,
    idleInTransactionTimeoutMs: 60_000,
  });
  await dataSource.initialize().catch((error: unknown) => {
    throw new Error(`DATABASE_URL: cannot connect to PostgreSQL: ${describe(error)}`);
  });
  const sql = announcingSql(dataSource);
  const commits = new PgCommitListener(env.DATABASE_URL);
  await commits.start();
  const clock = systemClock;
  const bus = new RabbitMqBus({ url: env.AMQP_URL, exchange: env.AMQP_EXCHANGE, queuePrefix: env.AMQP_QUEUE_PREFIX, clock });
  const objects = new S3ObjectStorage({
    endpoint: env.S3_ENDPOINT,
    region: env.S3_REGION,
    bucket: env.S3_BUCKET,
    accessKeyId: env.S3_ACCESS_KEY_ID,
    secretAccessKey: env.S3_SECRET_ACCESS_KEY,
    forcePathStyle: env.S3_FORCE_PATH_STYLE,
  });
  await objects.ensureBucket().catch((error: unknown) => {
    throw new Error(`S3_BUCKET: bucket "${env.S3_BUCKET}" at ${env.S3_ENDPOINT ?? 'AWS S3'} is not usable: ${describe(error)}`);
  });
  return {
    sql,
    store: new PgEventStore(sql),
    bus,
    objects,
    clock,
    pollIntervalMs: 100,
    commits,
    async close() {
      await commits.close();
      await bus.close();
      await dataSource.destroy();
    },
  };
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));
