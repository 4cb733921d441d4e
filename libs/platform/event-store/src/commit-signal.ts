import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { TypeormSql, type Sql, type TypeormSqlOptions } from '@darkroom/database';

/** The one payload-free channel appends are announced on. PostgreSQL scopes channels to their database: one channel per database. */
export const COMMIT_CHANNEL = 'darkroom_events';

/** Readers of the log learn that events were committed, so they read now instead of at their next poll. */
export interface CommitSignal {
  /** Calls `listener` after commits (many commits close together make one call); returns the unsubscribe. */
  subscribe(listener: () => void): () => void;
}

/** The least time between two fan-outs: under a stream of commits each reader runs a round per spacing, not per commit. */
const DEFAULT_SPACING_MS = 20;

/**
 * Fans wake-ups out to the subscribers: the first commit after a quiet spell at once, then at
 * most once per `spacingMs` however many commits arrive (a busy log would otherwise have every
 * reader of every process query once per commit). In one process it is the whole signal (the
 * embedded platform calls `notify` after each announcing commit); across processes
 * `PgCommitListener` feeds it from LISTEN.
 */
export class CommitFanout implements CommitSignal {
  private readonly listeners = new Set<() => void>();
  private timer?: NodeJS.Timeout;
  private pending = false;
  private lastAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly spacingMs = DEFAULT_SPACING_MS) {}

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(): void {
    if (this.pending) return;
    this.pending = true;
    const wait = Math.max(0, this.lastAt + this.spacingMs - performance.now());
    this.timer = setTimeout(() => this.fanOut(), wait);
    this.timer.unref();
  }

  protected stopFanOut(): void {
    clearTimeout(this.timer);
    this.pending = false;
  }

  private fanOut(): void {
    this.pending = false;
    this.lastAt = performance.now();
    for (const listener of [...this.listeners]) listener();
  }
}

/**
 * Sends the NOTIFY for this process's committed appends (`TypeormSql`'s `onAnnouncedCommit`),
 * after their commit, in a statement of its own, one at a time and at most one per `spacingMs`:
 * commits made meanwhile share the next. Not inside the appending transaction: PostgreSQL serialises the
 * commits of notifying transactions under one lock held through their WAL flush, which cut 16
 * concurrent appends to less than half (docs/benchmarks.md); a NOTIFY alone writes no WAL.
 * A process that dies between a commit and its NOTIFY leaves the readers to their polls.
 */
export class CommitAnnouncer {
  private timer?: NodeJS.Timeout;
  private inFlight = false;
  private again = false;
  private lastAt = Number.NEGATIVE_INFINITY;

  /** `spacingMs`: the least time between two NOTIFYs of this process (each is a commit of its own). */
  constructor(
    private readonly sql: Pick<Sql, 'query'>,
    private readonly spacingMs = DEFAULT_SPACING_MS / 2,
  ) {}

  announce(): void {
    if (this.inFlight || this.timer) {
      this.again = true;
      return;
    }
    this.again = false;
    this.timer = setTimeout(() => this.send(), Math.max(0, this.lastAt + this.spacingMs - performance.now()));
    this.timer.unref();
  }

  private send(): void {
    this.timer = undefined;
    this.inFlight = true;
    this.lastAt = performance.now();
    void this.sql
      .query(`SELECT pg_notify('${COMMIT_CHANNEL}', '')`)
      .catch(() => undefined) // the readers' polls cover a lost announcement
      .finally(() => {
        this.inFlight = false;
        if (this.again) this.announce();
      });
  }
}

/** A `TypeormSql` whose committed appends are announced by NOTIFY: the distributed platform's wiring. */
export function announcingSql(dataSource: TypeormSql['dataSource'], options: Omit<TypeormSqlOptions, 'onAnnouncedCommit'> = {}): TypeormSql {
  const announcer: { current?: CommitAnnouncer } = {};
  const sql = new TypeormSql(dataSource, { ...options, onAnnouncedCommit: () => announcer.current?.announce() });
  announcer.current = new CommitAnnouncer(sql);
  return sql;
}

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;

/**
 * LISTENs on `COMMIT_CHANNEL` on a dedicated client (a pooled connection would lose the LISTEN
 * when released) and wakes the subscribers on each notification. When the connection drops
 * it reconnects with back-off and wakes everyone once (commits made meanwhile were not heard);
 * the readers' own polling covers the gap.
 */
export class PgCommitListener extends CommitFanout {
  private readonly logger = new Logger(PgCommitListener.name);
  private client?: Client;
  private closed = false;
  private retryMs = FIRST_RETRY_MS;
  private retryTimer?: NodeJS.Timeout;

  constructor(private readonly connectionString: string) {
    super();
  }

  /** Connects and listens; resolves once listening (or once the first attempt failed and a retry is scheduled). */
  async start(): Promise<void> {
    if (this.closed) return;
    const client = new Client({ connectionString: this.connectionString, application_name: 'darkroom-commit-listener' });
    client.on('notification', () => this.notify());
    client.on('error', (error) => this.dropped(client, error));
    client.on('end', () => this.dropped(client));
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${COMMIT_CHANNEL}`);
      this.retryMs = FIRST_RETRY_MS;
      this.notify();
    } catch (error) {
      this.dropped(client, error);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.stopFanOut();
    await this.client?.end().catch(() => undefined);
  }

  private dropped(client: Client, error?: unknown): void {
    if (this.closed || this.client !== client) return;
    this.client = undefined;
    client.removeAllListeners('end');
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    this.logger.warn(`commit listener lost its connection${error ? `: ${String(error)}` : ''}; reconnecting in ${this.retryMs} ms`);
    this.retryTimer = setTimeout(() => void this.start(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
  }
}
