import { assetStream } from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';
import { assetDecider } from '@darkroom/domain-asset';
import type { EventStore } from '@darkroom/event-store';
import { deriveId, type Clock } from '@darkroom/kernel';
import type { ObjectStorage } from '@darkroom/object-storage';
import { PeriodicSweep } from '@darkroom/runtime';
import type { RetentionOptions } from '../storage.options';
import { withLogContext } from '@darkroom/logging';

/** Assets deleted per sweep; the next sweep takes the rest. */
const BATCH = 100;

interface ExpiredAsset {
  id: string;
  task_id: string;
  account_id: string;
  key: string;
}

/**
 * Deletes assets past their account's retention (`accounts.retention_days`, else the
 * configured default): the object first, then `AssetDeleted` through the asset decider,
 * so a sweep that stops half-way is simply repeated. Candidates come from the `assets`
 * read model; the decider has the last word, so an asset deleted by an earlier sweep or
 * another instance decides nothing, and its event id is derived so a re-run appends nothing.
 */
export class RetentionSweeper extends PeriodicSweep {
  constructor(
    private readonly sql: Sql,
    private readonly store: EventStore,
    private readonly objects: ObjectStorage,
    private readonly clock: Clock,
    private readonly options: RetentionOptions,
  ) {
    super(options.sweepIntervalMs);
  }

  protected summary(deleted: number): string {
    return `deleted ${deleted} asset(s) past their retention`;
  }

  /** One pass; resolves with how many assets it deleted. A bucket error stops the pass (the next one resumes). */
  async sweep(): Promise<number> {
    const now = this.clock.now();
    let deleted = 0;
    for (const asset of await this.expired(now)) {
      const context = { taskId: asset.task_id, correlationId: asset.task_id, accountId: asset.account_id };
      if (await withLogContext(context, () => this.deleteOne(asset, now))) deleted += 1;
    }
    return deleted;
  }

  /** Deletes one expired asset's object, then records it; true when this sweep recorded it. */
  private async deleteOne(asset: ExpiredAsset, now: Date): Promise<boolean> {
    await this.objects.deleteObject(asset.key);
    const stream = assetStream(asset.id);
    const result = await this.store.handle(
      stream,
      assetDecider,
      { type: 'DeleteAsset', now: now.toISOString() },
      {
        metadata: { correlationId: asset.task_id, accountId: asset.account_id, schemaVersion: 1 },
        eventId: (index, type) => deriveId('retention', stream, type, index),
      },
    );
    if (result.events.length > 0) this.logger.log(`asset ${asset.id} deleted after its retention (correlation ${asset.task_id})`);
    return result.events.length > 0;
  }

  /**
   * Live assets stored longer ago than their account keeps them, oldest first. Read per
   * account on `assets_account_live_stored_idx`: the owners are found by skipping from one
   * account id to the next, and each owner's expired assets are a range of its own. One
   * scan over all accounts by `stored_at` would also read every asset of an account that
   * keeps them longer than another account does, each sweep (issue 12); this costs a few
   * index probes per account with live assets, whatever their history.
   */
  private async expired(now: Date): Promise<ExpiredAsset[]> {
    const { rows } = await this.sql.query<ExpiredAsset>(
      `WITH RECURSIVE owners (account_id) AS (
         (SELECT account_id FROM assets WHERE deleted_at IS NULL ORDER BY account_id LIMIT 1)
         UNION ALL
         SELECT (SELECT a.account_id FROM assets a
                  WHERE a.deleted_at IS NULL AND a.account_id > owners.account_id
                  ORDER BY a.account_id LIMIT 1)
           FROM owners WHERE owners.account_id IS NOT NULL
       )
       SELECT expired.id, expired.task_id, expired.account_id, expired.key
         FROM owners
         LEFT JOIN accounts c ON c.id = owners.account_id
        CROSS JOIN LATERAL (
          SELECT a.id, a.task_id, a.account_id, a.key, a.stored_at FROM assets a
           WHERE a.account_id = owners.account_id AND a.deleted_at IS NULL
             AND a.stored_at < $1::timestamptz - COALESCE(c.retention_days, $2::float8) * interval '1 day'
           ORDER BY a.stored_at
           LIMIT ${BATCH}) AS expired
        ORDER BY expired.stored_at
        LIMIT ${BATCH}`,
      [now, this.options.defaultDays],
    );
    return rows;
  }
}
