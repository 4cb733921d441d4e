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
import { startTcpBalancer, startTcpProxyFor, type TcpBalancer, type TcpProxy } from './tcp-proxy';

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
  /** The first instance of each service. */
  readonly services: Map<ServiceName, ServiceProcess>;
  /** Every instance of each service (`replicas` of them; the gateways sit behind `gatewayUrl`'s balancer). */
  readonly instances: Map<ServiceName, ServiceProcess[]>;
  /** The system's S3 server: `stop()` is an outage (objects are kept), `start()` ends it on the same port. */
  readonly s3: Pick<RunningS3rver, 'stop' | 'start'>;
  /** The proxies the services reach PostgreSQL / RabbitMQ through, when `proxies` asked for them. */
  readonly proxies: { readonly database?: TcpProxy; readonly broker?: TcpProxy };
  /** Keys in the system's bucket under `prefix`, sorted. */
  objectKeys(prefix: string): Promise<string[]>;
  restart(name: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  /** Stops instance `index` of a service with `signal` and starts it again (a gateway on the same port). */
  restartInstance(name: ServiceName, index: number, signal?: NodeJS.Signals): Promise<void>;
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
  /**
   * Instances of every service (default 1). With more, the gateways listen on ports of their
   * own behind a round-robin TCP balancer, and `gatewayUrl` is the balancer's.
   */
  readonly replicas?: number;
}

export async function startSystem(label: string, options: SystemOptions = {}): Promise<System> {
  const run = uniqueName(label);
  const replicas = options.replicas ?? 1;
  const gatewayPorts = await Promise.all(Array.from({ length: replicas }, () => freePort()));
  const balancer: TcpBalancer | undefined = replicas > 1 ? await startTcpBalancer(gatewayPorts) : undefined;
  const gatewayUrl = balancer?.url ?? `http://127.0.0.1:${gatewayPorts[0]}`;
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
    // Authorization suites send hundreds of wrong keys from loopback; the throttle's own test sets its limit.
    FAILED_AUTH_PER_MINUTE: '1000000',
    // Two systems run at once and another checkout may run too: PostgreSQL's 100 connections are shared.
    DATABASE_POOL_SIZE: '5',
    ...extraEnv,
  };
  await runCommand([builtApp('gateway'), 'migrate'], env);

  const logDir = join(workspaceRoot, 'test-results/e2e-logs', run);
  const services = new Map<ServiceName, ServiceProcess>();
  const instances = new Map<ServiceName, ServiceProcess[]>(SERVICES.map((name) => [name, []]));
  const portOf = (name: ServiceName, index: number) => (name === 'gateway' ? gatewayPorts[index] : undefined);
  const logDirOf = (index: number) => (index === 0 ? logDir : join(logDir, `replica-${index + 1}`));
  const startInstance = async (name: ServiceName, index: number) => {
    const started = await startService(name, env, logDirOf(index), portOf(name, index));
    instances.get(name)![index] = started;
    if (index === 0) services.set(name, started);
  };
  const everyInstance = () => [...instances.values()].flat();
  try {
    for (const name of SERVICES) for (let index = 0; index < replicas; index++) await startInstance(name, index);
  } catch (error) {
    // A service that never came up: stop the ones that did, so no process outlives the test.
    await Promise.all(everyInstance().map((service) => service.kill()));
    await balancer?.close();
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
    instances,
    gatewayUrl,
    s3: { stop: () => s3.stop(), start: () => s3.start() },
    proxies,
    async objectKeys(prefix) {
      const listed = await s3Client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      return (listed.Contents ?? []).map((object) => object.Key!).sort();
    },
    async restart(name, signal = 'SIGTERM') {
      await services.get(name)!.kill(signal);
      await startInstance(name, 0);
    },
    async restartInstance(name, index, signal = 'SIGTERM') {
      await instances.get(name)![index]!.kill(signal);
      await startInstance(name, index);
    },
    async stop() {
      await Promise.all(everyInstance().map((service) => service.kill()));
      await balancer?.close();
      await Promise.all(Object.values(proxies).map((proxy) => proxy.close()));
      await deleteRunTopology(env['AMQP_EXCHANGE']!, run, CONSUMERS);
      s3Client.destroy();
      await s3.close();
      await db.drop();
    },
  };
}

