import { assetStream, generationStream } from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';
import type { Clock } from '@darkroom/kernel';
import type { ListedObject, ObjectStorage } from '@darkroom/object-storage';
import { PeriodicSweep } from '@darkroom/runtime';
import { assetIdFor } from '../asset-keys';

export interface OrphanSweepOptions {
  /**
   * Objects younger than this are never touched: a store that wrote its object and has not
   * committed its event yet (or whose message waits for a retry) is not an orphan.
   */
  readonly graceMs: number;
  /** Pause between passes; each pass reads one page of keys. */
  readonly sweepIntervalMs: number;
  /** Keys read per pass (at most 1,000). */
  readonly pageSize?: number;
}

const OUTPUT_KEY = /^accounts\/[^/]+\/generations\/([0-9a-f-]{36})\/(\d+)\.[a-z]+$/;
const STAGING_KEY = /^staging\/([0-9a-f-]{36})\/\d+\/\d+$/;
const TERMINAL = ['GenerationCompleted', 'GenerationFailed', 'GenerationCanceled'];

/**
 * Deletes objects no event records, which a crash between writing an object and committing
 * its event can leave behind (issue 15):
 * - a task output (`accounts/…/generations/{task}/{index}.{ext}`) whose asset stream has no
 *   `AssetStored` naming that key;
 * - staged provider bytes (`staging/{task}/…`) of a task that has ended.
 * Only objects older than the grace period, and only those two key shapes (uploads and
 * anything else in the bucket are left alone). The truth is the event log, not a read model,
 * so a projection that lags or is being rebuilt cannot make a recorded object look orphaned.
 * Each pass reads one page of keys after where the last pass stopped, and answers it with
 * two index lookups, whatever the bucket's size; at the end of the bucket it starts over.
 */
export class OrphanSweeper extends PeriodicSweep {
  private startAfter: string | undefined;

  constructor(
    private readonly sql: Sql,
    private readonly objects: ObjectStorage,
    private readonly clock: Clock,
    private readonly options: OrphanSweepOptions,
  ) {
    super(options.sweepIntervalMs);
  }

  protected summary(deleted: number): string {
    return `deleted ${deleted} object(s) no event records`;
  }

  /** One page; resolves with how many objects it deleted. */
  async sweep(): Promise<number> {
    const page = await this.objects.listObjects({ startAfter: this.startAfter, limit: this.options.pageSize ?? 1000 });
    const oldEnough = this.clock.now().getTime() - this.options.graceMs;
    const candidates = page.objects.filter((object) => object.lastModified.getTime() < oldEnough);
    const orphans = [...(await this.unrecordedOutputs(candidates)), ...(await this.stagedOfEndedTasks(candidates))];
    for (const key of orphans) {
      await this.objects.deleteObject(key);
      this.logger.log(`object ${key} deleted: no event records it`);
    }
    this.startAfter = page.more ? page.objects[page.objects.length - 1]?.key : undefined;
    return orphans.length;
  }

  private async unrecordedOutputs(objects: readonly ListedObject[]): Promise<string[]> {
    const outputs = objects.flatMap((object) => {
      const match = OUTPUT_KEY.exec(object.key);
      return match ? [{ key: object.key, stream: assetStream(assetIdFor(match[1]!, Number(match[2]))) }] : [];
    });
    if (outputs.length === 0) return [];
    const { rows } = await this.sql.query<{ key: string }>(
      `SELECT data->>'key' AS key FROM events WHERE stream_id = ANY($1) AND type = 'AssetStored'`,
      [outputs.map((output) => output.stream)],
    );
    const recorded = new Set(rows.map((row) => row.key));
    return outputs.filter((output) => !recorded.has(output.key)).map((output) => output.key);
  }

  private async stagedOfEndedTasks(objects: readonly ListedObject[]): Promise<string[]> {
    const staged = objects.flatMap((object) => {
      const match = STAGING_KEY.exec(object.key);
      return match ? [{ key: object.key, stream: generationStream(match[1]!) }] : [];
    });
    if (staged.length === 0) return [];
    const { rows } = await this.sql.query<{ stream_id: string }>(
      `SELECT DISTINCT stream_id FROM events WHERE stream_id = ANY($1) AND type = ANY($2)`,
      [staged.map((object) => object.stream), TERMINAL],
    );
    const ended = new Set(rows.map((row) => row.stream_id));
    return staged.filter((object) => ended.has(object.stream)).map((object) => object.key);
  }
}
