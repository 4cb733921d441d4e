import { DEFAULT_UPLOADS_IN_FLIGHT } from './upload-limits';

/**
 * Sizes libuv's thread pool (default 4) for the uploads a gateway reads at once. Temp-file
 * writes, sharp's header reads and decodes and DNS lookups all queue on it: with 4 threads,
 * ten bombs' header reads and writes held another account's upload behind them (p99 1.2 s
 * at 10 bombs at once; 0.4 s with 16 threads, docs/benchmarks.md). Call first in `main`,
 * before anything uses the pool, which reads the setting once when it starts. An operator's
 * own UV_THREADPOOL_SIZE wins.
 */
export function sizeThreadPoolForUploads(): void {
  process.env['UV_THREADPOOL_SIZE'] ??= String(DEFAULT_UPLOADS_IN_FLIGHT + 4);
}
