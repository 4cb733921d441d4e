import { Logger } from '@nestjs/common';
import { Client } from 'pg';

/**
 * The one payload-free channel an append notifies inside its transaction, so it is delivered
 * on commit only. PostgreSQL scopes channels to their database: one channel per database.
 */
export const COMMIT_CHANNEL = 'darkroom_events';

/** Readers of the log learn that events were committed, so they read now instead of at their next poll. */
export interface CommitSignal {
  /** Calls `listener` after commits (many commits close together make one call); returns the unsubscribe. */
  subscribe(listener: () => void): () => void;
}

/**
 * Fans wake-ups out to the subscribers, once per turn of the event loop however many commits
 * arrived in it. In one process it is the whole signal (the embedded platform calls `notify`
 * after each announcing commit); across processes `PgCommitListener` feeds it from LISTEN.
 */
export class CommitFanout implements CommitSignal {
  private readonly listeners = new Set<() => void>();
  private pending = false;

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(): void {
    if (this.pending) return;
    this.pending = true;
    setImmediate(() => {
      this.pending = false;
      for (const listener of [...this.listeners]) listener();
    });
  }
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
