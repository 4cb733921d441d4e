import type { CreditsReleased, CreditsReserved, Recorded, SpendCapEvent, SpendCapPeriod, SpendCapScope } from '@darkroom/contracts';
import { windowOf } from '@darkroom/domain-ledger';
import { assertNever } from '@darkroom/kernel';

/** The events the usage read models read. */
export type SpendUsageEvent = CreditsReserved | CreditsReleased | SpendCapEvent;

/**
 * What one API key or one end user reserved or spent this day and this month (UTC), and their
 * caps. Only the current periods are kept: a row is one key's or user's, whatever the history.
 * Unlike the ledger's cap counters, usage counts whether or not a cap is set.
 */
export interface SpendUsageRow {
  readonly accountId: string;
  readonly scope: SpendCapScope;
  /** The API key's id or the end user's id. */
  readonly subjectId: string;
  /** `YYYY-MM-DD`; '' before any usage. */
  readonly day: string;
  readonly dayCredits: number;
  readonly dayLimit: number | null;
  /** `YYYY-MM`; '' before any usage. */
  readonly month: string;
  readonly monthCredits: number;
  readonly monthLimit: number | null;
  readonly updatedAt: string;
}

/** The key or user of `scope` an event is about, if any. */
export function subjectOfUsage(scope: SpendCapScope, event: SpendUsageEvent): string | undefined {
  switch (event.type) {
    case 'CreditsReserved':
    case 'CreditsReleased': {
      const spender = event.data.spender;
      return scope === 'key' ? spender?.keyId : spender?.user;
    }
    case 'SpendCapSet':
    case 'SpendCapRemoved':
      return event.data.scope === scope ? event.data.id : undefined;
    default:
      return assertNever(event);
  }
}

/** Pure: the row of one key or user after one event about it. */
export function evolveSpendUsage(scope: SpendCapScope, row: SpendUsageRow | undefined, event: Recorded<SpendUsageEvent>): SpendUsageRow {
  const current: SpendUsageRow = row ?? {
    accountId: event.data.accountId,
    scope,
    subjectId: subjectOfUsage(scope, event) ?? '',
    day: '',
    dayCredits: 0,
    dayLimit: null,
    month: '',
    monthCredits: 0,
    monthLimit: null,
    updatedAt: event.recordedAt,
  };
  const next = { ...current, updatedAt: event.recordedAt };
  switch (event.type) {
    case 'CreditsReserved': {
      const { amount, reservedAt } = event.data;
      const day = windowOf('day', reservedAt);
      const month = windowOf('month', reservedAt);
      return {
        ...next,
        day,
        dayCredits: (next.day === day ? next.dayCredits : 0) + amount,
        month,
        monthCredits: (next.month === month ? next.monthCredits : 0) + amount,
      };
    }
    case 'CreditsReleased': {
      const { amount, reservedAt } = event.data;
      if (reservedAt === undefined) return next;
      // Only a release of a reservation made in the row's current period lowers it.
      const lower = (window: string, credits: number, period: SpendCapPeriod) =>
        window === windowOf(period, reservedAt) ? Math.max(0, credits - amount) : credits;
      return { ...next, dayCredits: lower(next.day, next.dayCredits, 'day'), monthCredits: lower(next.month, next.monthCredits, 'month') };
    }
    case 'SpendCapSet':
      return event.data.period === 'day' ? { ...next, dayLimit: event.data.limit } : { ...next, monthLimit: event.data.limit };
    case 'SpendCapRemoved':
      return event.data.period === 'day' ? { ...next, dayLimit: null } : { ...next, monthLimit: null };
    default:
      return assertNever(event);
  }
}

/** A row's credits in the periods of `now`: a period that has ended counts as 0. */
export function usageAt(row: SpendUsageRow | undefined, now: string): { readonly day: number; readonly month: number } {
  if (!row) return { day: 0, month: 0 };
  return {
    day: row.day === windowOf('day', now) ? row.dayCredits : 0,
    month: row.month === windowOf('month', now) ? row.monthCredits : 0,
  };
}
