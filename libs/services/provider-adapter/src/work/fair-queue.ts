import type { Priority } from '@darkroom/contracts';

/**
 * Fair, prioritised order of a provider's submits (decision 0024): start-time fair queuing
 * with lanes.
 *
 * Each provider has a virtual clock `V`: the start tag of the latest submit claimed. Each
 * (provider, account, lane) flow keeps the finish tag `F` of its last queued submit. A new
 * submit starts at `S = max(V, F)` and moves the flow's finish to `S + 1 / weight`, so an
 * account with a backlog has tags running ahead of the clock while one that just arrived
 * starts at the clock: backlogged accounts take turns, an account of weight 2 gets two turns
 * to another's one, and inside an account the order is the order of queueing.
 *
 * The claim orders by `key = S + LANE_OFFSET[lane]`. A new interactive submit is ahead of any
 * standard or batch work queued less than its lane's offset ago (in virtual time), which is
 * all of it unless the higher lanes have kept the provider busy; a batch submit is overtaken
 * by higher lanes only until the clock has advanced `LANE_OFFSET.batch` past its start: that
 * is the aging bound (with one account sending interactive work, at most 100 interactive
 * starts; with several, 100 × the sum of their weights).
 */
export const LANE_OFFSET: Readonly<Record<Priority, number>> = { interactive: 0, standard: 50, batch: 100 };

/** `LANE_OFFSET` as SQL over a `priority` column. */
export const laneOffsetSql = (column: string): string =>
  `(CASE ${column} ${Object.entries(LANE_OFFSET)
    .map(([lane, offset]) => `WHEN '${lane}' THEN ${offset}`)
    .join(' ')} END)::double precision`;
