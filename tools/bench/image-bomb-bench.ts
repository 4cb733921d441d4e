/**
 * Image bombs against the gateway (issue 14): waves of 10 decompression bombs uploaded at
 * once (two of each kind in `@darkroom/testing`), while `/health/live` is polled and another
 * account uploads an ordinary 256x256 PNG in a loop. Prints the gateway's RSS growth
 * over its warmed-up baseline (goal < 100 MB) and the p99 of the health check and of the
 * other account's upload during the waves (goal < 200 ms each), beside the same figures for
 * the same ordinary traffic without bombs just before.
 *
 *   npm run bench:image-bombs -- [--waves 30]
 *
 * Needs the built apps (`npx nx run-many -t build -p gateway,generation,provider-adapter,storage,ledger`),
 * PostgreSQL and RabbitMQ as for the e2e tests.
 */
import sharp from 'sharp';
import { imageBombs } from '@darkroom/testing';
import { call } from '../../apps/e2e/src/support/api';
import { startSystem, type System } from '../../apps/e2e/src/support/system';
import { cpuSeconds, rssMiB } from './proc-stats';

const BOMBS_PER_WAVE = 10;
const HEALTH_EVERY_MS = 20;
const RSS_EVERY_MS = 25;
const QUIET_MS = 10_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const percentile = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};

async function createAccount(system: System): Promise<string> {
  const created = await call(system.gatewayUrl, 'POST', '/admin/accounts', { key: system.adminKey, body: { name: 'bench' } });
  if (created.status !== 201) throw new Error(`creating an account answered ${created.status}`);
  return created.body.api_key as string;
}

async function upload(system: System, key: string, bytes: Buffer): Promise<{ status: number; code?: string; ms: number }> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)], { type: 'image/png' }), 'image.png');
  const started = performance.now();
  const response = await fetch(`${system.gatewayUrl}/v1/uploads`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
  const body = (await response.json().catch(() => ({}))) as { code?: string };
  return { status: response.status, code: body.code, ms: performance.now() - started };
}

/** Calls `request` back to back (spaced by `everyMs`) until `until` resolves; returns each call's milliseconds. */
async function loop(until: Promise<unknown>, everyMs: number, request: () => Promise<unknown>): Promise<number[]> {
  let done = false;
  void until.finally(() => (done = true));
  const times: number[] = [];
  while (!done) {
    const started = performance.now();
    await request();
    times.push(performance.now() - started);
    await sleep(everyMs);
  }
  return times;
}

/** Health checks, the bystander's uploads and the gateway's peak RSS until `until` settles. */
async function traffic(system: System, pid: number, bystander: string, ordinary: Buffer, until: Promise<unknown>) {
  const baseline = rssMiB(pid);
  const [gatewayCpu, ownCpu, started] = [cpuSeconds(pid), process.cpuUsage(), performance.now()];
  let peak = baseline;
  const [health, uploads] = await Promise.all([
    loop(until, HEALTH_EVERY_MS, () => fetch(`${system.gatewayUrl}/health/live`).then((response) => response.arrayBuffer())),
    loop(until, 0, async () => {
      const result = await upload(system, bystander, ordinary);
      if (result.status !== 201) throw new Error(`the bystander's upload answered ${result.status} ${result.code}`);
    }),
    loop(until, RSS_EVERY_MS, async () => void (peak = Math.max(peak, rssMiB(pid)))),
    until,
  ]);
  const summary = (times: number[]) => ({ requests: times.length, p50Ms: Math.round(percentile(times, 50)), p99Ms: Math.round(percentile(times, 99)) });
  const seconds = (performance.now() - started) / 1000;
  const { user, system: kernel } = process.cpuUsage(ownCpu);
  return {
    seconds: Math.round(seconds),
    gatewayRssGrowthMiB: Math.round(peak - baseline),
    // Share of one core: the gateway's, and this client's (which also runs the S3 server).
    gatewayCpu: Math.round(((cpuSeconds(pid) - gatewayCpu) / seconds) * 100) / 100,
    clientCpu: Math.round(((user + kernel) / 1e6 / seconds) * 100) / 100,
    healthLive: summary(health),
    otherAccountUpload: summary(uploads),
  };
}

async function main(): Promise<void> {
  const wavesArg = process.argv.indexOf('--waves');
  const waves = wavesArg >= 0 ? Number(process.argv[wavesArg + 1]) : 30;
  const [bombs, ordinary] = await Promise.all([
    imageBombs(),
    sharp({ create: { width: 256, height: 256, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 30 } } })
      .png()
      .toBuffer(),
  ]);
  const system = await startSystem('bench_image_bombs', { env: { RATE_LIMIT_PER_MINUTE: '100000' } });
  try {
    const pid = system.services.get('gateway')!.child.pid!;
    const [attacker, bystander] = [await createAccount(system), await createAccount(system)];
    // Warm up: libvips loaded, every route compiled, pools open.
    for (let i = 0; i < 5; i++) await upload(system, bystander, ordinary);
    for (const { bytes } of bombs) await upload(system, attacker, bytes);
    await sleep(1000);
    const baseline = rssMiB(pid);

    // The same ordinary traffic without bombs first, for comparison.
    const quiet = await traffic(system, pid, bystander, ordinary, sleep(QUIET_MS));

    const outcomes: Record<string, number> = {};
    const bombMs: number[] = [];
    const attack = (async () => {
      for (let wave = 0; wave < waves; wave++) {
        const sent = Array.from({ length: BOMBS_PER_WAVE }, (_, i) => upload(system, attacker, bombs[i % bombs.length]!.bytes));
        for (const result of await Promise.all(sent)) {
          const outcome = `${result.status} ${result.code ?? ''}`.trim();
          outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
          bombMs.push(result.ms);
        }
      }
    })();
    const attacked = await traffic(system, pid, bystander, ordinary, attack);
    console.log(
      JSON.stringify(
        {
          waves,
          bombsPerWave: BOMBS_PER_WAVE,
          bombSizesKB: Object.fromEntries(bombs.map(({ name, bytes }) => [name, Math.round(bytes.length / 1024)])),
          outcomes,
          bombP50Ms: Math.round(percentile(bombMs, 50)),
          bombMaxMs: Math.round(Math.max(...bombMs)),
          gatewayRssBaselineMiB: Math.round(baseline),
          quiet,
          attacked,
        },
        null,
        2,
      ),
    );
  } finally {
    await system.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
