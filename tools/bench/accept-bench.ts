/**
 * Accept-path benchmark, driven as the peer `fastify-insert.mjs` drives its endpoint (autocannon
 * there, the same closed loop here): CONNECTIONS (32) keep-alive connections each sending the
 * next `POST /v1/generations` as soon as the last one answered, the ~1 KB payload, WARMUP_SECONDS
 * (2) then BENCH_SECONDS (15); once without and once with an `Idempotency-Key` (a new one per
 * request). On a fresh system of the five built apps (`startSystem` of the e2e tier), one
 * account; the accepted tasks run through the pipeline meanwhile, as they would in production.
 *
 *   npm run bench:accept          # one JSON line on stdout, progress on stderr
 */
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { startSystem } from '../../apps/e2e/src/support/system';
import { createAccounts } from './bench-accounts';
import { cpuBusyPct, cpuTimes, darkroomRequest, emit, envNumber, latency, log, round } from './peer-shape';

const SECONDS = envNumber('BENCH_SECONDS', 15);
const WARMUP = envNumber('WARMUP_SECONDS', 2);
const CONNECTIONS = envNumber('CONNECTIONS', 32);

function post(agent: Agent, url: URL, key: string, body: string, idempotent: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...(idempotent ? { 'idempotency-key': randomUUID() } : {}),
        },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** CONNECTIONS lanes, each one request at a time, for `seconds`; latencies of the 2xx answers. */
async function load(url: URL, key: string, seconds: number, idempotent: boolean) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const body = JSON.stringify(darkroomRequest(42));
  const answered: number[] = [];
  const statuses: Record<string, number> = {};
  const start = performance.now();
  const deadline = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < deadline) {
        const sent = performance.now();
        const status = await post(agent, url, key, body, idempotent).catch(() => 0);
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status >= 200 && status < 300) answered.push(performance.now() - sent);
      }
    }),
  );
  agent.destroy();
  return { answered, statuses, seconds: (performance.now() - start) / 1000 };
}

async function main(): Promise<void> {
  const system = await startSystem('bench_accept');
  try {
    const [key] = await createAccounts(system, 1, 10_000_000);
    const url = new URL('/v1/generations', system.gatewayUrl);
    const cases: Record<string, unknown>[] = [];
    for (const idempotent of [false, true]) {
      log(`darkroom-accept: warm-up ${WARMUP}s, then ${SECONDS}s at ${CONNECTIONS} connections, idempotency key ${idempotent}`);
      await load(url, key!, WARMUP, idempotent);
      const cpu = cpuTimes();
      const { answered, statuses, seconds } = await load(url, key!, SECONDS, idempotent);
      const result = {
        idempotency_key: idempotent,
        requests_per_s: round(answered.length / seconds, 1),
        ...latency(answered),
        statuses,
        host_cpu_busy_pct: cpuBusyPct(cpu),
      };
      log('darkroom-accept', JSON.stringify(result));
      cases.push(result);
    }
    emit({ bench: 'darkroom-accept', connections: CONNECTIONS, seconds: SECONDS, warmup_s: WARMUP, cases });
  } finally {
    await system.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
