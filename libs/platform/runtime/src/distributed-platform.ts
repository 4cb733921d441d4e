import { Logger } from '@nestjs/common';
import { createDataSource } from '@darkroom/database';
import { announcingSql, PgCommitListener, PgEventStore } from '@darkroom/event-store';
import type { PlatformEnv } from '@darkroom/config';
import { systemClock } from '@darkroom/kernel';
import { RabbitMqBus } from '@darkroom/messaging';
import { S3ObjectStorage } from '@darkroom/object-storage';
import { waitForDependencies } from './boot-wait';
import type { Platform } from './platform';

/** While the bucket cannot be made ready at boot, how often it is tried again. */
const BUCKET_RETRY_MS = 2000;

export interface DistributedPlatformOptions {
  /** False for services that never touch the bucket (ledger, generation): no bucket is created or checked. */
  readonly bucket?: boolean;
}

/**
 * Production wiring: PostgreSQL, RabbitMQ and S3/R2/MinIO, all from validated settings. No
 * outage stops the boot: while the database or the broker is unreachable the process waits,
 * answering its probes as live and not ready; an unreachable bucket is made ready in the
 * background once it answers, `/health/ready` reporting it down meanwhile.
 */
export async function createDistributedPlatform(env: PlatformEnv, appName: string, options: DistributedPlatformOptions = {}): Promise<Platform> {
  await waitForDependencies({ databaseUrl: env.DATABASE_URL, amqpUrl: env.AMQP_URL, port: env.PORT });
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
  const usesBucket = options.bucket ?? true;
  let bucketRetry: NodeJS.Timeout | undefined;
  const ensureBucket = async (): Promise<void> => {
    try {
      await objects.ensureBucket();
    } catch (error) {
      const where = `bucket "${env.S3_BUCKET}" at ${env.S3_ENDPOINT ?? 'AWS S3'}`;
      new Logger('Platform').warn(`S3_BUCKET: ${where} is not usable, not ready until it is: ${describe(error)}`);
      bucketRetry = setTimeout(() => void ensureBucket(), BUCKET_RETRY_MS).unref();
    }
  };
  if (usesBucket) await ensureBucket();
  return {
    sql,
    store: new PgEventStore(sql),
    bus,
    objects,
    usesBucket,
    clock,
    pollIntervalMs: 100,
    commits,
    async close() {
      clearTimeout(bucketRetry);
      await commits.close();
      await bus.close();
      await dataSource.destroy();
    },
  };
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));
