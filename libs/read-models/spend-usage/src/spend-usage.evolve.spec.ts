import { describe, expect, it } from '@jest/globals';
import type { Recorded } from '@darkroom/contracts';
import { recordedEvent } from '@darkroom/testing';
import { evolveSpendUsage, usageAt, type SpendUsageEvent, type SpendUsageRow } from './spend-usage.evolve';

const today = '2026-12-08T10:00:00.000Z';
const tomorrow = '2026-12-09T10:00:00.000Z';
const spender = { keyId: 'key-1', user: 'alice' };

describe('spend usage read model', () => {
  it("adds each reservation to the key's day and month", () => {
    const row = project('key', [reserved('t1', 3, today), reserved('t2', 4, today)]);
    expect(row).toMatchObject({ subjectId: 'key-1', day: '2026-12-08', dayCredits: 7, month: '2026-12', monthCredits: 7 });
  });
  it('starts a new day at zero but keeps counting the month', () => {
    const row = project('user', [reserved('t1', 3, today), reserved('t2', 4, tomorrow)]);
    expect(row).toMatchObject({ subjectId: 'alice', day: '2026-12-09', dayCredits: 4, monthCredits: 7 });
  });
  it("takes a release off the period its reservation was made in, and not off a later one", () => {
    const row = project('user', [reserved('t1', 3, today), reserved('t2', 4, tomorrow), released('t1', 3, today), released('t2', 4, tomorrow)]);
    expect(row).toMatchObject({ dayCredits: 0, monthCredits: 0 });
    const stale = project('user', [reserved('t1', 3, today), reserved('t2', 4, tomorrow), released('t1', 3, today)]);
    expect(stale).toMatchObject({ dayCredits: 4, monthCredits: 4 });
  });
  it('keeps the caps of its own scope', () => {
    const row = project('user', [
      recordedEvent<SpendUsageEvent>('SpendCapSet', { accountId: 'acc-1', scope: 'user', id: 'alice', period: 'day', limit: 10, setAt: today }),
      recordedEvent<SpendUsageEvent>('SpendCapSet', { accountId: 'acc-1', scope: 'user', id: 'alice', period: 'month', limit: 50, setAt: today }),
      recordedEvent<SpendUsageEvent>('SpendCapRemoved', { accountId: 'acc-1', scope: 'user', id: 'alice', period: 'month', removedAt: today }),
    ]);
    expect(row).toMatchObject({ dayLimit: 10, monthLimit: null, dayCredits: 0 });
  });
  it('reads an ended period as zero', () => {
    const row = project('key', [reserved('t1', 3, today)]);
    expect(usageAt(row, today)).toEqual({ day: 3, month: 3 });
    expect(usageAt(row, tomorrow)).toEqual({ day: 0, month: 3 });
    expect(usageAt(row, '2027-01-01T00:00:00.000Z')).toEqual({ day: 0, month: 0 });
  });
});

function project(scope: 'key' | 'user', events: Recorded<SpendUsageEvent>[]): SpendUsageRow | undefined {
  return events.reduce<SpendUsageRow | undefined>((row, event) => evolveSpendUsage(scope, row, event), undefined);
}
function reserved(reservationId: string, amount: number, at: string): Recorded<SpendUsageEvent> {
  return recordedEvent<SpendUsageEvent>('CreditsReserved', { accountId: 'acc-1', reservationId, amount, reservedAt: at, spender });
}
function released(reservationId: string, amount: number, reservedAt: string): Recorded<SpendUsageEvent> {
  return recordedEvent<SpendUsageEvent>('CreditsReleased', { accountId: 'acc-1', reservationId, amount, releasedAt: tomorrow, spender, reservedAt });
}
