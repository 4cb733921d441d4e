import { Inject, Injectable } from '@nestjs/common';
import { assetStream, type AssetEvent } from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';
import type { EventStore } from '@darkroom/event-store';
import { DomainError } from '@darkroom/kernel';
import type { ObjectStorage, StoredObject } from '@darkroom/object-storage';
import { EVENT_STORE, OBJECT_STORAGE, SQL } from '@darkroom/runtime';
import { evolveAsset, loadAsset, type AssetRow } from '@darkroom/read-model-assets';
import { GATEWAY_OPTIONS, type GatewayOptions } from '../gateway.options';
import { GenerationsService } from '../generations/generations.service';
import { HttpProblem } from '../http/http-problem';
import { isUuid } from '../http/ids';
import { publicAssetUrl, type AssetServing } from './asset-delivery';

/** Finds a caller's asset and says where its bytes are (or opens them, when proxying). */
@Injectable()
export class AssetsService {
  readonly serving: AssetServing;

  constructor(
    @Inject(SQL) private readonly sql: Sql,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(OBJECT_STORAGE) private readonly objects: ObjectStorage,
    @Inject(GATEWAY_OPTIONS) options: GatewayOptions,
    private readonly generations: GenerationsService,
  ) {
    this.serving = options.assetServing;
  }

  /**
   * The caller's live asset of a completed task; another account's id, or an output of a
   * task that did not complete (never paid for), is indistinguishable from a missing one.
   */
  async find(accountId: string, id: string): Promise<AssetRow> {
    return this.findAs(accountId, id);
  }

  /** The asset a signed URL names (`AssetAccessGuard` checked the signature): the same rules, any account. */
  async findSigned(id: string): Promise<AssetRow> {
    return this.findAs(undefined, id);
  }

  private async findAs(accountId: string | undefined, id: string): Promise<AssetRow> {
    const asset = isUuid(id) ? ((await loadAsset(this.sql, id)) ?? (await this.foldStream(id))) : undefined;
    const mine = asset && (accountId === undefined || asset.accountId === accountId);
    if (!asset || !mine || !(await this.generations.isCompleted(asset.taskId))) {
      throw new DomainError('asset_not_found', 'not_found', `No asset ${id}.`);
    }
    // Gone for good (retention deleted the object), which only HTTP has a status for.
    if (asset.deletedAt) throw new HttpProblem(410, 'asset_expired', `Asset ${id} has passed its retention and was deleted.`);
    return asset;
  }

  /**
   * Where a client fetches the bytes in a redirect mode: a fresh presigned GET (signed
   * locally, nothing is fetched) or the stable CDN URL. Undefined when proxying.
   */
  async location(asset: AssetRow): Promise<string | undefined> {
    const serving = this.serving;
    if (serving.mode === 'presigned') return this.objects.presignGet(asset.key, serving.ttlSeconds);
    if (serving.mode === 'public') return publicAssetUrl(serving.baseUrl, asset.key);
    return undefined;
  }

  /** The bytes, for the proxy mode. */
  open(asset: AssetRow): Promise<StoredObject> {
    return this.objects.getObject(asset.key);
  }

  /** A task can complete a poll interval before the assets read model has its row. */
  private async foldStream(id: string): Promise<AssetRow | undefined> {
    const events = await this.store.readStream<AssetEvent>(assetStream(id));
    return events.reduce<AssetRow | undefined>(evolveAsset, undefined);
  }
}
