import { Inject, Injectable } from '@nestjs/common';
import { assetStream } from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';
import type { EventStore } from '@darkroom/event-store';
import { DomainError } from '@darkroom/kernel';
import type { ObjectStorage, StoredObject } from '@darkroom/object-storage';
import { EVENT_STORE, OBJECT_STORAGE, SQL } from '@darkroom/runtime';
import { evolveAsset, loadAsset, type AssetRow } from '@darkroom/service-storage';
import { GenerationsService } from '../generations/generations.service';
import { isUuid } from '../http/ids';

/** Finds a caller's asset and opens its bytes. */
@Injectable()
export class AssetsService {
  constructor(
    @Inject(SQL) private readonly sql: Sql,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(OBJECT_STORAGE) private readonly objects: ObjectStorage,
    private readonly generations: GenerationsService,
  ) {}

  /**
   * The caller's live asset of a completed task; another account's id, or an output of a
   * task that did not complete (never paid for), is indistinguishable from a missing one.
   */
  async find(accountId: string, id: string): Promise<AssetRow> {
    const asset = isUuid(id) ? ((await loadAsset(this.sql, id)) ?? (await this.foldStream(id))) : undefined;
    if (!asset || asset.accountId !== accountId || !(await this.generations.isCompleted(asset.taskId))) {
      throw new DomainError('asset_not_found', 'not_found', `No asset ${id}.`);
    }
    if (asset.deletedAt) throw new DomainError('asset_expired', 'not_found', `Asset ${id} has passed its retention.`);
    return asset;
  }

  open(asset: AssetRow): Promise<StoredObject> {
    return this.objects.getObject(asset.key);
  }

  /** A task can complete a poll interval before the assets read model has its row. */
  private async foldStream(id: string): Promise<AssetRow | undefined> {
    const events = await this.store.readStream(assetStream(id));
    return events.reduce<AssetRow | undefined>(evolveAsset, undefined);
  }
}
