import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { withLogContext, addToLogContext } from './log-context';
import { PinoLogger } from './pino-logger';

/** A logger writing into an array of parsed JSON lines. */
function capture(level: 'log' | 'debug' | 'warn' = 'log') {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: new PinoLogger({ service: 'test-service', level, destination }) };
}

describe('PinoLogger', () => {
  it('writes one JSON object per line with the service, level, message and Nest context', () => {
    const { lines, logger } = capture();
    logger.log('hello', 'Relay');
    expect(lines).toEqual([expect.objectContaining({ service: 'test-service', level: 'info', msg: 'hello', context: 'Relay' })]);
    expect(typeof lines[0]['time']).toBe('string');
  });

  it('carries the ids of the work in progress, and only inside its scope', async () => {
    const { lines, logger } = capture();
    await withLogContext({ requestId: 'r1', correlationId: 'task-1', taskId: 'task-1', eventType: 'GenerationQueued' }, async () => {
      await Promise.resolve();
      addToLogContext({ accountId: 'acct-1' });
      logger.warn('inside');
    });
    logger.warn('outside');
    expect(lines[0]).toMatchObject({
      msg: 'inside',
      level: 'warn',
      request_id: 'r1',
      correlation_id: 'task-1',
      task_id: 'task-1',
      account_id: 'acct-1',
      event_type: 'GenerationQueued',
    });
    expect(lines[1]).not.toHaveProperty('request_id');
    expect(lines[1]).not.toHaveProperty('account_id');
  });

  it('keeps an error stack and drops lines below the configured level', () => {
    const { lines, logger } = capture('warn');
    logger.log('too chatty');
    logger.debug('too chatty');
    logger.error('failed', 'Error: failed\n    at somewhere', 'Consumer');
    expect(lines).toEqual([expect.objectContaining({ level: 'error', msg: 'failed', stack: 'Error: failed\n    at somewhere', context: 'Consumer' })]);
  });
});
