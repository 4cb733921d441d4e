import { EventEmitter } from 'node:events';
import { describe, expect, it } from '@jest/globals';
import type { Response } from 'express';
import type { RecordedEvent } from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';
import type { EventStore } from '@darkroom/event-store';
import { recordedEvent } from '@darkroom/testing';
import type { GatewayOptions } from '../gateway.options';
import { GenerationStreamService } from './generation-stream.service';

const TASK = '00000000-0000-4000-8000-000000000001';
const STREAM = `generation-${TASK}`;
const at = (second: number) => new Date(Date.UTC(2026, 10, 24, 0, 0, second)).toISOString();

/** The log of one task, growing as the test appends; the two reads the service makes. */
class FakeLog {
  readonly events: RecordedEvent[] = [];
  polls = 0;
  private position = 0;

  append(type: string, data: Record<string, unknown>): RecordedEvent {
    this.position += 1;
    const event = recordedEvent(type, { taskId: TASK, ...data }, { streamId: STREAM, globalPosition: String(this.position) });
    this.events.push(event);
    return event;
  }

  readonly store = { readCorrelated: async () => [...this.events] } as unknown as EventStore;
  readonly sql = {
    query: async () => {
      this.polls += 1;
      const last = this.events.at(-1);
      return { rows: last ? [{ stream_id: STREAM, position: last.globalPosition }] : [], rowCount: 1 };
    },
  } as unknown as Sql;
}

/** Just what the service uses of an Express response; `written` is the body so far. */
class FakeResponse extends EventEmitter {
  written = '';
  statusCode = 0;
  writableEnded = false;
  destroyed = false;
  status(code: number) {
    this.statusCode = code;
    return this;
  }
  setHeader() {
    return this;
  }
  headersFlushed = false;
  flushHeaders() {
    this.headersFlushed = true;
  }
  write(chunk: string) {
    this.written += chunk;
    return true;
  }
  end() {
    this.writableEnded = true;
    this.emit('close');
  }
  /** The client hangs up. */
  hangUp() {
    this.destroyed = true;
    this.emit('close');
  }
}

function serviceOver(log: FakeLog, heartbeatMs = 60_000) {
  const options = { stream: { pollIntervalMs: 5, heartbeatMs } } as unknown as GatewayOptions;
  const service = new GenerationStreamService(log.sql, log.store, options);
  const internals = service as unknown as { watchers: Set<unknown>; timer: NodeJS.Timeout | undefined };
  return { service, internals };
}

const created = (log: FakeLog) =>
  log.append('GenerationCreated', {
    request: { accountId: 'a1', model: 'local', prompt: 'p', width: 64, height: 64, n: 1, seed: 1, outputFormat: 'png' },
    price: 1,
    deadline: at(60),
    createdAt: at(0),
  });

const statuses = (response: FakeResponse) => [...response.written.matchAll(/"status":"(\w+)"/g)].map((match) => match[1]);
const until = async (condition: () => boolean) => {
  for (let i = 0; i < 2000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
};

describe('GenerationStreamService', () => {
  it('sends each change the poll finds, then ends after the terminal status and stops polling', async () => {
    const log = new FakeLog();
    created(log);
    const { service, internals } = serviceOver(log);
    const response = new FakeResponse();
    await service.open('a1', TASK, undefined, response as unknown as Response, 'http://x');
    expect(statuses(response)).toEqual(['created']);

    log.append('GenerationQueued', { queuedAt: at(1) });
    log.append('GenerationProcessing', { attempt: 1, provider: 'local', providerJobId: 'j', processingAt: at(2) });
    await until(() => statuses(response).length === 3);
    log.append('GenerationCompleted', { accountId: 'a1', assetIds: [], completedAt: at(3) });
    await until(() => response.writableEnded);

    expect(statuses(response)).toEqual(['created', 'queued', 'processing', 'completed']);
    expect([...response.written.matchAll(/^id: (\d+)$/gm)].map((match) => match[1])).toEqual(['1', '2', '3', '4']);
    expect(internals.watchers.size).toBe(0);
    expect(internals.timer).toBeUndefined();
  });

  it('forgets a client that hangs up and leaves no timer behind', async () => {
    const log = new FakeLog();
    created(log);
    const { service, internals } = serviceOver(log);
    const response = new FakeResponse();
    await service.open('a1', TASK, undefined, response as unknown as Response, 'http://x');
    await until(() => log.polls > 0);
    response.hangUp();
    expect(internals.watchers.size).toBe(0);
    const polls = log.polls;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(log.polls - polls).toBeLessThanOrEqual(1);
    expect(internals.timer).toBeUndefined();
  });

  it('writes heartbeat comments while nothing changes, and ends every stream on shutdown', async () => {
    const log = new FakeLog();
    created(log);
    const { service, internals } = serviceOver(log, 10);
    const responses = [new FakeResponse(), new FakeResponse()];
    for (const response of responses) await service.open('a1', TASK, undefined, response as unknown as Response, 'http://x');
    await until(() => responses.every((response) => response.written.includes(': heartbeat')));
    service.onModuleDestroy();
    expect(responses.every((response) => response.writableEnded)).toBe(true);
    expect(internals.watchers.size).toBe(0);
  });

  it('answers 204 to a client that has seen the terminal status, and 404 to another account', async () => {
    const log = new FakeLog();
    created(log);
    const done = log.append('GenerationFailed', { accountId: 'a1', code: 'provider_error', message: 'm', failedAt: at(1) });
    const { service } = serviceOver(log);
    const seen = new FakeResponse();
    await service.open('a1', TASK, BigInt(done.globalPosition), seen as unknown as Response, 'http://x');
    expect([seen.statusCode, seen.written]).toEqual([204, '']);
    await expect(service.open('a2', TASK, undefined, new FakeResponse() as unknown as Response, 'http://x')).rejects.toMatchObject({
      code: 'generation_not_found',
    });
  });
});
