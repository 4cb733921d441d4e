import type { CreditAccountEvent, Spender, SpendCapBreach, SpendCapPeriod, SpendCapScope } from '@darkroom/contracts';

/**
 * Most caps one account may hold. The caps live in the account's summary (each with one
 * counter, for its current period only), so this bounds the summary: about 120 bytes a cap,
 * some 120 kB at the limit, whatever the history (decision 0028).
 */
export const MAX_SPEND_CAPS = 1000;

/** One cap and what was reserved or spent against it in its current period. */
export interface SpendCapTally {
  readonly scope: SpendCapScope;
  readonly id: string;
  readonly period: SpendCapPeriod;
  readonly limit: number;
  /** The period `used` counts (`YYYY-MM-DD` or `YYYY-MM`, UTC); an older one counts as 0. */
  readonly window: string;
  readonly used: number;
}

/** Caps by `capKey`. */
export type SpendCapTallies = Readonly<Record<string, SpendCapTally>>;

export const capKey = (scope: SpendCapScope, period: SpendCapPeriod, id: string) => `${scope}:${period}:${id}`;

/** The UTC day or month an instant falls in. */
export function windowOf(period: SpendCapPeriod, at: string): string {
  const iso = new Date(Date.parse(at)).toISOString();
  return period === 'day' ? iso.slice(0, 10) : iso.slice(0, 7);
}

/** Credits counted against a cap in the period of `at`. */
export function usedAt(tally: SpendCapTally, at: string): number {
  return tally.window === windowOf(tally.period, at) ? tally.used : 0;
}

/** The caps that apply to a spender: its key's and its user's, daily and monthly, where set. */
export function capsOf(caps: SpendCapTallies, spender: Spender | undefined): readonly SpendCapTally[] {
  if (!spender) return [];
  const scoped: [SpendCapScope, string | undefined][] = [
    ['key', spender.keyId],
    ['user', spender.user],
  ];
  return scoped.flatMap(([scope, id]) =>
    id === undefined ? [] : (['day', 'month'] as const).flatMap((period) => caps[capKey(scope, period, id)] ?? []),
  );
}

/** The first cap `amount` more credits would go over at `now`, if any. */
export function capBreached(caps: SpendCapTallies, spender: Spender | undefined, amount: number, now: string): SpendCapBreach | undefined {
  for (const tally of capsOf(caps, spender)) {
    const used = usedAt(tally, now);
    if (used + amount > tally.limit) {
      const { scope, id, period, limit } = tally;
      return { scope, id, period, limit, used };
    }
  }
  return undefined;
}

/**
 * The caps after one event: set or removed, or a reservation counted in (or a release counted
 * out of) the period it was made in. The same object when nothing changed.
 */
export function capsAfter(caps: SpendCapTallies, event: CreditAccountEvent): SpendCapTallies {
  switch (event.type) {
    case 'SpendCapSet': {
      const { scope, id, period, limit, setAt } = event.data;
      const key = capKey(scope, period, id);
      const tally = caps[key] ?? { scope, id, period, limit, window: windowOf(period, setAt), used: 0 };
      return { ...caps, [key]: { ...tally, limit } };
    }
    case 'SpendCapRemoved': {
      const next = { ...caps };
      delete next[capKey(event.data.scope, event.data.period, event.data.id)];
      return next;
    }
    case 'CreditsReserved': {
      const { spender, amount, reservedAt } = event.data;
      return count(caps, spender, (tally) => {
        const window = windowOf(tally.period, reservedAt);
        return { ...tally, window, used: (tally.window === window ? tally.used : 0) + amount };
      });
    }
    case 'CreditsReleased': {
      const { spender, amount, reservedAt } = event.data;
      if (reservedAt === undefined) return caps;
      // A reservation made in an earlier period no longer counts in the current one.
      return count(caps, spender, (tally) =>
        tally.window === windowOf(tally.period, reservedAt) ? { ...tally, used: Math.max(0, tally.used - amount) } : tally,
      );
    }
    default:
      return caps;
  }
}

function count(caps: SpendCapTallies, spender: Spender | undefined, change: (tally: SpendCapTally) => SpendCapTally): SpendCapTallies {
  const applicable = capsOf(caps, spender);
  if (applicable.length === 0) return caps;
  const next = { ...caps };
  for (const tally of applicable) next[capKey(tally.scope, tally.period, tally.id)] = change(tally);
  return next;
}
