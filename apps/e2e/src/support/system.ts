import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import {
  createTestDatabase,
  rabbitMqTestUrl,
  s3TestConfig,
  startS3rver,
  uniqueName,
  type RunningS3rver,
  type TestDatabase,
} from '@darkroom/testing';
import { deleteRunTopology } from './broker';
import { builtApp, freePort, runCommand, startService, workspaceRoot, type ServiceProcess } from './processes';
import { startTcpProxyFor, type TcpProxy } from './tcp-proxy';

export const AMQP_URL = rabbitMqTestUrl();
export const SERVICES = ['ledger', 'generation', 'provider-adapter', 'storage', 'gateway'] as const;
export type ServiceName = (typeof SERVICES)[number];
const CONSUMERS = ['ledger', 'generation', 'provider-adapter', 'storage', 'outbound-webhooks'];

/** The whole system as separate processes against real PostgreSQL, RabbitMQ and s3rver. */
export interface System {
  readonly db: TestDatabase;
  readonly adminKey: string;
  readonly gatewayUrl: string;
  readonly env: NodeJS.ProcessEnv;
  readonly services: Map<ServiceName, ServiceProcess>;
  /** The system's S3 server: `stop()` is an outage (objects are kept), `start()` ends it on the same port. */
  readonly s3: Pick<RunningS3rver, 'stop' | 'start'>;
  /** The proxies the services reach PostgreSQL / RabbitMQ through, when `proxies` asked for them. */
  readonly proxies: { readonly database?: TcpProxy; readonly broker?: TcpProxy };
  /** Keys in the system's bucket under `prefix`, sorted. */
  objectKeys(prefix: string): Promise<string[]>;
  restart(name: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

export interface SystemOptions {
  /**
   * Settings added to every service's environment (provider keys and base URLs, catalog
   * file, ...). A function gets the gateway's URL first, e.g. for WEBHOOK_BASE_URL.
   */
  readonly env?: NodeJS.ProcessEnv | ((gatewayUrl: string) => NodeJS.ProcessEnv);
  /**
   * Route the services' DATABASE_URL / AMQP_URL through TCP proxies the test can cut and
   * restore (`system.proxies`), so an outage touches this system only. Default: direct.
   */
  readonly proxies?: { readonly database?: boolean; readonly broker?: boolean };
}

export async function startSystem(label: string, options: SystemOptions = {}): Promise<System> {
  const run = uniqueName(label);
  const gatewayPort = await freePort();
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const extraEnv = typeof options.env === 'function' ? options.env(gatewayUrl) : (options.env ?? {});
  const db = await createTestDatabase({ migrate: false, poolSize: 4 });
  const s3 = await startS3rver();
  const adminKey = `adm_${randomBytes(16).toString('hex')}`;
  const proxies = {
    ...(options.proxies?.database ? { database: await startTcpProxyFor(db.url) } : {}),
    ...(options.proxies?.broker ? { broker: await startTcpProxyFor(AMQP_URL) } : {}),
  };
  const env: NodeJS.ProcessEnv = {
    DATABASE_URL: proxies.database?.url(db.url) ?? db.url,
    AMQP_URL: proxies.broker?.url(AMQP_URL) ?? AMQP_URL,
    AMQP_EXCHANGE: `${run}.events`,
    AMQP_QUEUE_PREFIX: run,
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: run.replace(/_/g, '-').toLowerCase(),
    S3_ACCESS_KEY_ID: 'S3RVER',
    S3_SECRET_ACCESS_KEY: 'S3RVER',
    S3_FORCE_PATH_STYLE: 'true',
    ADMIN_API_KEY: adminKey,
    LOG_LEVEL: 'log',
    LOCAL_PROVIDER_TEST_MARKERS: 'true',
    // Load tests send thousands of requests with one key; a test of the limit sets its own.
    RATE_LIMIT_PER_MINUTE: '1000000',
    // Two systems run at once and another checkout may run too: PostgreSQL's 100 connections are shared.
    DATABASE_POOL_SIZE: '5',
    ...extraEnv,
  };
  await runCommand([builtApp('gateway'), 'migrate'], env);

  const logDir = join(workspaceRoot, 'test-results/e2e-logs', run);
  const services = new Map<ServiceName, ServiceProcess>();
  const portOf = (name: ServiceName) => (name === 'gateway' ? gatewayPort : undefined);
  try {
    for (const name of SERVICES) services.set(name, await startService(name, env, logDir, portOf(name)));
  } catch (error) {
    // A service that never came up: stop the ones that did, so no process outlives the test.
    await Promise.all([...services.values()].map((service) => service.kill()));
    await Promise.all(Object.values(proxies).map((proxy) => proxy.close()));
    await s3.close();
    await db.drop();
    throw error;
  }
  const bucket = env['S3_BUCKET']!;
  const s3Client = new S3Client({ ...s3TestConfig(s3.endpoint, bucket), credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });

  return {
    db,
    adminKey,
    env,
    services,
    gatewayUrl,
    s3: { stop: () => s3.stop(), start: () => s3.start() },
    proxies,
    async objectKeys(prefix) {
      const listed = await s3Client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      return (listed.Contents ?? []).map((object) => object.Key!).sort();
    },
    async restart(name, signal = 'SIGTERM') {
      await services.get(name)!.kill(signal);
      services.set(name, await startService(name, env, logDir, portOf(name)));
    },
    async stop() {
      await Promise.all([...services.values()].map((service) => service.kill()));
      await Promise.all(Object.values(proxies).map((proxy) => proxy.close()));
      await deleteRunTopology(env['AMQP_EXCHANGE']!, run, CONSUMERS);
      s3Client.destroy();
      await s3.close();
      await db.drop();
    },
  };
}

