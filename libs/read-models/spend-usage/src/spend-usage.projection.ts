import type { SpendCapScope } from '@darkroom/contracts';
import type { RowProjection } from '@darkroom/projections';
import { evolveSpendUsage, subjectOfUsage, type SpendUsageEvent, type SpendUsageRow } from './spend-usage.evolve';
import { loadSpendUsage, saveSpendUsage, spendUsageTable } from './spend-usage.repository';

const eventTypes: readonly SpendUsageEvent['type'][] = ['CreditsReserved', 'CreditsReleased', 'SpendCapSet', 'SpendCapRemoved'];

/** Key of a row: account and subject, joined by a character neither holds. */
const SEPARATOR = '\u0000';

/**
 * `key_spend_usage` or `user_spend_usage`: one row per API key or end user, keyed by
 * account and subject. One projection per scope, since a reservation touches a row of each.
 */
function spendUsageProjection(scope: SpendCapScope): RowProjection<SpendUsageRow, SpendUsageEvent> {
  return {
    name: spendUsageTable(scope),
    eventTypes,
    keyOf: (event) => {
      const subject = subjectOfUsage(scope, event);
      return subject === undefined ? undefined : `${event.data.accountId}${SEPARATOR}${subject}`;
    },
    evolve: (row, event) => evolveSpendUsage(scope, row, event),
    async load(tx, key) {
      const [accountId, subjectId] = key.split(SEPARATOR) as [string, string];
      return (await loadSpendUsage(tx, scope, accountId, [subjectId]))[0];
    },
    save: (tx, row) => saveSpendUsage(tx, [row]),
    saveMany: saveSpendUsage,
  };
}

export const keySpendUsageProjection = spendUsageProjection('key');
export const userSpendUsageProjection = spendUsageProjection('user');
