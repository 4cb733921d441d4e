/**
 * What the peer benchmarks in `../shared/bench/peers` share (lib.mjs), so darkroom is driven the
 * same way: the ~1 KB generation payload, nearest-rank percentiles, the host's CPU busy share
 * during the measured window, and one JSON line of figures on stdout.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

export const PAYLOAD_BYTES = Number(process.env['PAYLOAD_BYTES'] ?? 1000);
export const envNumber = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);

/** The peers' ~PAYLOAD_BYTES generation request (lib.mjs `payload`). */
export function peerPayload(seed = 0): Record<string, unknown> {
  const request = { model: 'sdxl-turbo', width: 1024, height: 1024, steps: 4, seed, userId: 'user-0001', prompt: '' };
  const room = Math.max(1, PAYLOAD_BYTES - JSON.stringify(request).length);
  request.prompt = 'a lighthouse on a cliff at dusk, volumetric light, '.repeat(40).slice(0, room);
  return request;
}

/** A darkroom generation request of the same size: the peers' prompt on the local model. */
export function darkroomRequest(seed: number, size = '64x64'): Record<string, unknown> {
  const request = { model: 'local', size, n: 1, seed, prompt: '' };
  const room = Math.max(1, PAYLOAD_BYTES - JSON.stringify(request).length);
  request.prompt = 'a lighthouse on a cliff at dusk, volumetric light, '.repeat(40).slice(0, room);
  return request;
}

export const round = (value: number | null | undefined, digits = 2): number | null =>
  value === null || value === undefined ? null : Math.round(value * 10 ** digits) / 10 ** digits;

/** Nearest-rank percentiles, as lib.mjs `latency`. */
export function latency(values: readonly number[]): { p50_ms: number | null; p99_ms: number | null; max_ms: number | null } {
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) => (sorted.length ? sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]! : null);
  return { p50_ms: round(at(50)), p99_ms: round(at(99)), max_ms: round(at(100)) };
}

export interface CpuTimes {
  readonly idle: number;
  readonly total: number;
}

export function cpuTimes(): CpuTimes | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    return { idle: fields[3]! + fields[4]!, total: fields.reduce((a, b) => a + b, 0) };
  } catch {
    return null;
  }
}

export const cpuBusyPct = (from: CpuTimes | null, to = cpuTimes()): number | null =>
  from && to ? round(100 * (1 - (to.idle - from.idle) / (to.total - from.total)), 0) : null;

export const log = (...parts: unknown[]): void => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...parts);

/** The one JSON line of figures, with the machine's state next to them. */
export function emit(figures: Record<string, unknown>): void {
  process.stdout.write(
    `${JSON.stringify({
      ...figures,
      load_avg_1m: round(loadavg()[0]),
      node: process.version,
      cpus: cpus().length,
      at: new Date().toISOString(),
    })}\n`,
  );
}
