/** Without a webhook the poll is how results arrive: start at the model's interval. */
const MAX_DELAY_MS = 30_000;
/** With webhooks configured, polling is a safety net for lost callbacks: ten times slower. */
const WEBHOOK_FACTOR = 10;
const MAX_DELAY_WITH_WEBHOOKS_MS = 120_000;
const GROWTH = 1.5;
const DEFAULT_INTERVAL_SECONDS = 2;

/**
 * Milliseconds until the next poll of a job polled `polls` times already: the model's
 * interval, growing by half each time up to a cap, all slower when webhooks are expected.
 */
export function pollDelayMs(options: { intervalSeconds?: number; polls: number; webhooks: boolean }): number {
  const base = (options.intervalSeconds ?? DEFAULT_INTERVAL_SECONDS) * 1000 * (options.webhooks ? WEBHOOK_FACTOR : 1);
  const cap = options.webhooks ? MAX_DELAY_WITH_WEBHOOKS_MS : MAX_DELAY_MS;
  return Math.round(Math.min(cap, base * GROWTH ** Math.min(options.polls, 30)));
}

/**
 * A per-provider poll budget: `perSecond` polls accrue over time (at most one second's
 * worth banked), so thousands of jobs in flight cost the same polls per minute as a few
 * hundred — each job is then polled less often.
 */
export class PollBudget {
  private tokens: number;
  private last: number;

  constructor(private readonly perSecond: number, now: number) {
    this.tokens = perSecond;
    this.last = now;
  }

  /** Whole polls available now (spent by `spend`). */
  available(now: number): number {
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    return Math.floor(this.tokens);
  }

  spend(count: number): void {
    this.tokens = Math.max(0, this.tokens - count);
  }
}
