import { PassThrough } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { BodyNotRead, readCapped } from './read-capped';

const options = { maxBytes: 10, idleMs: 50 };

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof BodyNotRead)) throw new Error(`expected a refusal, got ${String(error)}`);
  return error.reason;
}

describe('readCapped', () => {
  it('returns every byte of a body within the limit', async () => {
    const stream = new PassThrough();
    const read = readCapped(stream, options);
    stream.write('hello ');
    stream.end('dark');
    await expect(read).resolves.toEqual(Buffer.from('hello dark'));
  });

  it('accepts a body of exactly the limit', async () => {
    const stream = new PassThrough();
    const read = readCapped(stream, options);
    stream.end(Buffer.alloc(10));
    await expect(read).resolves.toHaveLength(10);
  });

  it('stops at the chunk that passes the limit, without waiting for the end', async () => {
    const stream = new PassThrough();
    const read = readCapped(stream, { maxBytes: 10, idleMs: 60_000 });
    stream.write(Buffer.alloc(6));
    stream.write(Buffer.alloc(6));
    // No end: the refusal must not wait for one.
    await expect(refusal(read)).resolves.toBe('too_large');
    expect(stream.isPaused()).toBe(true);
  });

  it('stops when nothing arrives for the idle time, restarting the clock with each chunk', async () => {
    const stream = new PassThrough();
    const started = Date.now();
    const read = readCapped(stream, options);
    setTimeout(() => stream.write('a'), 30);
    await expect(refusal(read)).resolves.toBe('idle');
    expect(Date.now() - started).toBeGreaterThanOrEqual(70);
  });

  it('reports a stream that closes before its end', async () => {
    const stream = new PassThrough();
    const read = readCapped(stream, options);
    stream.write('a');
    stream.destroy();
    await expect(refusal(read)).resolves.toBe('aborted');
  });
});
