import { createServer, type Server } from 'node:http';
import { Logger } from '@nestjs/common';
import { connect as connectAmqp } from 'amqplib';
import { Client } from 'pg';
import type { CheckResult, Readiness } from '@darkroom/observability';

/** While a dependency cannot be reached at boot, how often it is tried again. */
const BOOT_RETRY_MS = 2000;
/** Each try gives up after this long (a blackholed host must not hang the boot). */
const BOOT_TRY_TIMEOUT_MS = 5000;

export interface BootDependencies {
  readonly databaseUrl: string;
  readonly amqpUrl: string;
  /** Where the process will serve HTTP: probes are answered there while it waits. */
  readonly port: number;
}

/**
 * Waits until PostgreSQL and RabbitMQ answer, instead of exiting when they do not: meanwhile
 * the process answers `/health/live` (200: restarting it would not help) and `/health/ready`
 * (503, naming what is down) on its port, so an orchestrator keeps it and routes nothing to it.
 * Returns once both answered, with the port free again for the application.
 */
export async function waitForDependencies(dependencies: BootDependencies, logger = new Logger('Boot')): Promise<void> {
  const checks: Record<string, CheckResult> = { database: { ok: false, detail: 'not tried yet' }, broker: { ok: false, detail: 'not tried yet' } };
  const tries = { database: () => probePostgres(dependencies.databaseUrl), broker: () => probeRabbitMq(dependencies.amqpUrl) };
  let server: Server | undefined;
  try {
    for (const name of ['database', 'broker'] as const) {
      for (let attempt = 1; ; attempt++) {
        try {
          await tries[name]();
          checks[name] = { ok: true };
          break;
        } catch (error) {
          checks[name] = { ok: false, detail: describe(error) };
          if (attempt === 1) {
            logger.warn(`${name} unreachable at boot, not ready until it answers: ${describe(error)}`);
            server = server ?? (await serveProbes(dependencies.port, checks, logger));
          }
          await new Promise((resolve) => setTimeout(resolve, BOOT_RETRY_MS));
        }
      }
    }
  } finally {
    if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
  }
}

async function probePostgres(url: string): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: BOOT_TRY_TIMEOUT_MS });
  // A failed connect may still emit 'error' later; it is the attempt's, already reported.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function probeRabbitMq(url: string): Promise<void> {
  const connection = await connectAmqp(url, { timeout: BOOT_TRY_TIMEOUT_MS });
  connection.on('error', () => undefined);
  await connection.close().catch(() => undefined);
}

/** The two probes only; anything else is a 503 too (nothing is served before boot ends). */
async function serveProbes(port: number, checks: Readonly<Record<string, CheckResult>>, logger: Logger): Promise<Server | undefined> {
  const server = createServer((request, response) => {
    const live = request.url === '/health/live';
    const body = live ? { status: 'ok' } : ({ status: 'not_ready', checks } satisfies Readiness);
    response.writeHead(live ? 200 : 503, { 'content-type': 'application/json', 'retry-after': String(BOOT_RETRY_MS / 1000) });
    response.end(JSON.stringify(body));
  });
  return new Promise((resolve) => {
    server.once('error', (error) => {
      logger.warn(`cannot answer probes on port ${port} while waiting: ${describe(error)}`);
      resolve(undefined);
    });
    server.listen(port, '0.0.0.0', () => resolve(server));
  });
}

const describe = (error: unknown): string => (error instanceof Error ? error.message || error.constructor.name : String(error));
