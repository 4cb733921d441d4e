import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { connect } from 'amqplib';
import { createTestDatabase, startS3rver, uniqueName, type TestDatabase } from '@darkroom/testing';
import { runCommand, startService, workspaceRoot, type ServiceProcess } from './processes';

export const AMQP_URL = process.env['TEST_AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
export const SERVICES = ['ledger', 'generation', 'provider-adapter', 'storage', 'gateway'] as const;
export type ServiceName = (typeof SERVICES)[number];
const CONSUMERS = ['ledger', 'generation', 'provider-adapter', 'storage'];

/** The whole system as separate processes against real PostgreSQL, RabbitMQ and s3rver. */
export interface System {
  readonly db: TestDatabase;
  readonly adminKey: string;
  readonly gatewayUrl: string;
  readonly env: NodeJS.ProcessEnv;
  readonly services: Map<ServiceName, ServiceProcess>;
  restart(name: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

export async function startSystem(label: string): Promise<System> {
  const run = uniqueName(label);
  const db = await createTestDatabase({ migrate: false, poolSize: 4 });
  const s3 = await startS3rver();
  const adminKey = `adm_${randomBytes(16).toString('hex')}`;
  const env: NodeJS.ProcessEnv = {
    DATABASE_URL: db.url,
    AMQP_URL,
    AMQP_EXCHANGE: `${run}.events`,
    AMQP_QUEUE_PREFIX: run,
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: run.replace(/_/g, '-').toLowerCase(),
    S3_ACCESS_KEY_ID: 'S3RVER',
    S3_SECRET_ACCESS_KEY: 'S3RVER',
    S3_FORCE_PATH_STYLE: 'true',
    ADMIN_API_KEY: adminKey,
    LOG_LEVEL: 'log',
  };
  await runCommand([join(workspaceRoot, 'dist/apps/gateway/main.js'), 'migrate'], env);

  const logDir = join(workspaceRoot, 'test-results/e2e-logs', run);
  const services = new Map<ServiceName, ServiceProcess>();
  for (const name of SERVICES) services.set(name, await startService(name, env, logDir));

  return {
    db,
    adminKey,
    env,
    services,
    gatewayUrl: `http://127.0.0.1:${services.get('gateway')!.port}`,
    async restart(name, signal = 'SIGTERM') {
      await services.get(name)!.kill(signal);
      services.set(name, await startService(name, env, logDir));
    },
    async stop() {
      await Promise.all([...services.values()].map((service) => service.kill()));
      await deleteTopology(env['AMQP_EXCHANGE']!, run);
      await s3.close();
      await db.drop();
    },
  };
}

async function deleteTopology(exchange: string, prefix: string): Promise<void> {
  const connection = await connect(AMQP_URL);
  try {
    for (const consumer of CONSUMERS) {
      for (const suffix of ['', '.retry', '.dlq']) {
        const channel = await connection.createChannel();
        await channel.deleteQueue(`${prefix}.${consumer}${suffix}`).catch(() => undefined);
        await channel.close().catch(() => undefined);
      }
    }
    const channel = await connection.createChannel();
    await channel.deleteQueue(`${exchange}.unrouted`).catch(() => undefined);
    for (const name of [exchange, `${exchange}.unrouted`, `${prefix}.retry`, `${prefix}.dlx`]) {
      await channel.deleteExchange(name).catch(() => undefined);
    }
    await channel.close().catch(() => undefined);
  } finally {
    await connection.close();
  }
}
