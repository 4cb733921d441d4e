import { Inject, Injectable, Logger, Optional, type OnModuleDestroy } from '@nestjs/common';
import type { Response } from 'express';
import { generationStream } from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';
import type { CommitSignal, EventStore } from '@darkroom/event-store';
import { DomainError, systemClock, type Clock } from '@darkroom/kernel';
import { CLOCK, COMMIT_SIGNAL, EVENT_STORE, SQL } from '@darkroom/runtime';
import { GATEWAY_OPTIONS, type GatewayOptions, type StatusStreamSettings } from '../gateway.options';
import { isUuid } from '../http/ids';
import { isTerminal, statusTransitions, transitionsToSend, type StatusTransition } from './status-transitions';
import { toTaskResource } from '@darkroom/read-model-generations';

export const DEFAULT_STATUS_STREAM: StatusStreamSettings = { pollIntervalMs: 300, heartbeatMs: 15_000 };

/** Tells a browser's EventSource how long to wait before reconnecting after a drop. */
const RETRY_MS = 2000;

const notFound = (id: string) => new DomainError('generation_not_found', 'not_found', `No generation ${id}.`);

/** One open `GET /v1/generations/{id}/stream` response. */
interface Watcher {
  readonly taskId: string;
  readonly response: Response;
  readonly baseUrl: string;
  /** Id of the last status event sent (or the client's Last-Event-ID). */
  lastSentId: bigint | undefined;
  /** Position of the newest generation-stream event folded; a newer one means: read again. */
  seenPosition: bigint;
  lastWriteAt: number;
}

/**
 * Server-Sent Events of task status. Every open stream of this process is served by one
 * poll loop, woken by commits (the poll interval stays as the safety net): each tick asks the event store, in one query, which watched tasks have new
 * events on their generation stream, reads and folds only those, and sends each status
 * change. The loop runs only while streams are open. The event store is the only shared
 * state, so any gateway instance can serve any client, also after a reconnect.
 */
@Injectable()
export class GenerationStreamService implements OnModuleDestroy {
  private readonly logger = new Logger(GenerationStreamService.name);
  private readonly settings: StatusStreamSettings;
  private readonly watchers = new Set<Watcher>();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  /** A commit was announced during the running tick: the next one follows at once. */
  private committed = false;
  private stopped = false;
  private readonly unsubscribe?: () => void;

  constructor(
    @Inject(SQL) private readonly sql: Sql,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(GATEWAY_OPTIONS) options: GatewayOptions,
    @Inject(CLOCK) private readonly clock: Clock = systemClock,
    @Optional() @Inject(COMMIT_SIGNAL) commits?: CommitSignal,
  ) {
    this.unsubscribe = commits?.subscribe(() => this.onCommit());
    this.settings = {
      pollIntervalMs: options.stream?.pollIntervalMs ?? DEFAULT_STATUS_STREAM.pollIntervalMs,
      heartbeatMs: options.stream?.heartbeatMs ?? DEFAULT_STATUS_STREAM.heartbeatMs,
    };
  }

  /**
   * Answers the stream request: 404 (thrown before anything is written) for a task the
   * account does not own, 204 when the client has already seen the terminal state (an
   * EventSource then stops reconnecting), else a 200 event stream that ends after the
   * terminal state.
   */
  async open(accountId: string, taskId: string, lastEventId: bigint | undefined, response: Response, baseUrl: string): Promise<void> {
    const read = isUuid(taskId) ? await this.read(taskId) : undefined;
    const current = read?.transitions.at(-1);
    if (!read || !current || current.row.accountId !== accountId) throw notFound(taskId);
    const toSend = transitionsToSend(read.transitions, lastEventId);
    if (toSend.length === 0 && isTerminal(current.row)) {
      response.status(204).end();
      return;
    }
    response.status(200);
    response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    response.setHeader('Cache-Control', 'no-cache, no-transform');
    response.setHeader('Connection', 'keep-alive');
    // nginx and similar proxies otherwise buffer the stream.
    response.setHeader('X-Accel-Buffering', 'no');
    response.flushHeaders();
    response.write(`retry: ${RETRY_MS}\n\n`);

    const watcher: Watcher = { taskId, response, baseUrl, lastSentId: lastEventId, seenPosition: read.position, lastWriteAt: this.nowMs() };
    response.on('close', () => this.forget(watcher));
    if (this.send(watcher, toSend) || response.destroyed) return;
    this.watchers.add(watcher);
    this.schedule();
  }

  onModuleDestroy(): void {
    this.stopped = true;
    this.unsubscribe?.();
    clearTimeout(this.timer);
    for (const watcher of [...this.watchers]) this.end(watcher);
  }

  /** The task's status changes and the newest position of its generation stream. */
  private nowMs(): number {
    return this.clock.now().getTime();
  }

  private async read(taskId: string): Promise<{ transitions: StatusTransition[]; position: bigint } | undefined> {
    const events = await this.store.readCorrelated(taskId);
    const stream = generationStream(taskId);
    const own = events.filter((event) => event.streamId === stream);
    if (own.length === 0) return undefined;
    const position = own.reduce((max, event) => (BigInt(event.globalPosition) > max ? BigInt(event.globalPosition) : max), 0n);
    return { transitions: statusTransitions(events), position };
  }

  /** Writes the statuses the watcher has not seen; true when the stream ended (terminal state sent). */
  private send(watcher: Watcher, transitions: readonly StatusTransition[]): boolean {
    for (const transition of transitions) {
      if (watcher.lastSentId !== undefined && transition.id <= watcher.lastSentId) continue;
      const data = JSON.stringify(toTaskResource(transition.row, watcher.baseUrl));
      watcher.response.write(`id: ${transition.id}\nevent: generation.status\ndata: ${data}\n\n`);
      watcher.lastSentId = transition.id;
      watcher.lastWriteAt = this.nowMs();
      if (isTerminal(transition.row)) {
        this.end(watcher);
        return true;
      }
    }
    return false;
  }

  private end(watcher: Watcher): void {
    this.forget(watcher);
    if (!watcher.response.writableEnded) watcher.response.end();
  }

  private forget(watcher: Watcher): void {
    this.watchers.delete(watcher);
    if (this.watchers.size === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private onCommit(): void {
    if (this.ticking) this.committed = true;
    else if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.schedule(0);
    }
  }

  /** At most one tick pending or running per process, and none while no stream is open. */
  private schedule(delayMs = this.settings.pollIntervalMs): void {
    if (this.timer || this.ticking || this.stopped || this.watchers.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.ticking = true;
      this.committed = false;
      void this.tick().finally(() => {
        this.ticking = false;
        this.schedule(this.committed ? 0 : this.settings.pollIntervalMs);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      await this.poll();
    } catch (error) {
      this.logger.warn(`status stream poll failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    const now = this.nowMs();
    for (const watcher of [...this.watchers]) {
      if (watcher.response.destroyed) {
        this.forget(watcher);
      } else if (now - watcher.lastWriteAt >= this.settings.heartbeatMs) {
        watcher.response.write(': heartbeat\n\n');
        watcher.lastWriteAt = now;
      }
    }
  }

  /** One query for every watched task; a second read only for tasks whose generation stream moved. */
  private async poll(): Promise<void> {
    const byTask = new Map<string, Watcher[]>();
    for (const watcher of this.watchers) byTask.set(watcher.taskId, [...(byTask.get(watcher.taskId) ?? []), watcher]);
    if (byTask.size === 0) return;
    const { rows } = await this.sql.query<{ stream_id: string; position: string }>(
      `SELECT stream_id, max(global_position)::text AS position FROM events WHERE stream_id = ANY($1::text[]) GROUP BY stream_id`,
      [[...byTask.keys()].map(generationStream)],
    );
    const moved = [...byTask.entries()].filter(([taskId, watchers]) => {
      const position = BigInt(rows.find((row) => row.stream_id === generationStream(taskId))?.position ?? 0);
      return watchers.some((watcher) => watcher.seenPosition < position);
    });
    await Promise.all(
      moved.map(async ([taskId, watchers]) => {
        const read = await this.read(taskId);
        if (!read) return;
        for (const watcher of watchers) {
          if (!this.watchers.has(watcher)) continue;
          watcher.seenPosition = read.position;
          this.send(watcher, read.transitions);
        }
      }),
    );
  }
}
