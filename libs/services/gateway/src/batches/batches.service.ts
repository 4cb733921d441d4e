import { Inject, Injectable } from '@nestjs/common';
import { CreditReservations, GenerationCommands, terminalStatuses, type NewBatchItem, type Priority, type Spender } from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';
import { deriveId, DomainError, newId } from '@darkroom/kernel';
import { SQL } from '@darkroom/runtime';
import { loadBatch, type BatchItemRecord, type BatchRecord } from '@darkroom/read-model-batches';
import { loadGenerations, type GenerationRow } from '@darkroom/read-model-generations';
import { isUuid } from '../http/ids';
import { IdempotencyService, type IdempotencyClaim } from '../idempotency/idempotency.service';
import { GenerationsService } from '../generations/generations.service';
import { SpendCapChecks } from '../spend/spend-cap-checks';
import type { CreateBatchDto } from './batches.dto';
import { toBatchResource } from './batch.resource';

export interface BatchRequest {
  readonly accountId: string;
  readonly apiKeyId?: string;
  readonly requestId: string;
  /** The highest lane the account may ask for, per item (decision 0024). */
  readonly maxPriority?: Priority;
  readonly body: CreateBatchDto;
  readonly idempotency?: { readonly key: string; readonly fingerprint: string };
  readonly baseUrl: string;
}

const notFound = (id: string) => new DomainError('batch_not_found', 'not_found', `No batch ${id}.`);

/**
 * Batches (decision 0029): every item checked and priced first, the whole price reserved in
 * one ledger decision (all or nothing, a 402 before anything is created), then the batch and
 * its items created in one transaction, each item queued at once.
 */
@Injectable()
export class BatchesService {
  constructor(
    @Inject(SQL) private readonly sql: Sql,
    private readonly generations: GenerationsService,
    private readonly idempotency: IdempotencyService,
    private readonly spendCaps: SpendCapChecks,
    private readonly reservations: CreditReservations,
    private readonly commands: GenerationCommands<Sql>,
  ) {}

  async create(request: BatchRequest): Promise<{ replayed: boolean; body: unknown }> {
    const { accountId, idempotency: keyed } = request;
    if (!keyed) return { replayed: false, body: await this.accept(request, newId()) };
    const outcome = await this.idempotency.begin(accountId, keyed.key, keyed.fingerprint);
    if (outcome.kind === 'replay') return { replayed: true, body: outcome.body };
    if (outcome.kind === 'created') return { replayed: true, body: await this.get(accountId, outcome.taskId, request.baseUrl) };
    const { claim } = outcome;
    return { replayed: false, body: await this.idempotency.whileClaimed(claim, () => this.accept(request, claim.taskId, claim)) };
  }

  private async accept(request: BatchRequest, batchId: string, claim?: IdempotencyClaim) {
    const { accountId, apiKeyId, requestId, maxPriority, body, baseUrl } = request;
    const items: NewBatchItem[] = [];
    for (const [index, item] of body.items.entries()) {
      const prepared = await this.generations.prepare(accountId, apiKeyId, item, maxPriority);
      items.push({
        ...prepared,
        requestId,
        taskId: deriveId(batchId, 'item', index),
        ...(item.custom_id === undefined ? {} : { customId: item.custom_id }),
      });
    }
    const price = items.reduce((sum, item) => sum + item.price, 0);
    const spender = commonSpender(items);
    await this.generations.assertAffordable(accountId, price);
    await this.spendCaps.assertWithinCaps(accountId, spender, price);
    const reserved = await this.reservations.reserveBatch({
      accountId,
      batchId,
      items: items.map((item) => ({ reservationId: item.taskId, amount: item.price })),
      ...(spender ? { spender } : {}),
    });
    if (reserved.kind === 'rejected') {
      const { reason, amount, available, cap } = reserved;
      throw reason === 'spend_cap_reached' && cap
        ? new DomainError('spend_cap_reached', 'payment_required', `This batch costs ${amount} credits, over a spend cap.`, { ...cap, price: amount })
        : new DomainError('insufficient_credits', 'payment_required', `This batch costs ${amount} credits and ${available} are available.`, {
            price: amount,
            available,
          });
    }
    const batch: BatchRecord = { id: batchId, accountId, itemCount: items.length, price, createdAt: '' };
    const records: BatchItemRecord[] = items.map((item, index) => ({ index, taskId: item.taskId, customId: item.customId ?? null }));
    await this.commands.createBatch({ batchId, accountId, requestId, items }, async (tx) => {
      if (claim) await this.idempotency.recordCreated(tx, claim);
    });
    const loaded = await loadBatch(this.sql, accountId, batchId);
    return toBatchResource(loaded?.batch ?? batch, loaded?.items ?? records, new Map(), baseUrl);
  }

  async get(accountId: string, batchId: string, baseUrl: string) {
    const { batch, items } = await this.load(accountId, batchId);
    return toBatchResource(batch, items, await this.rows(items), baseUrl);
  }

  /** Cancels every item not ended yet; each cancel releases that item's share of the reservation. */
  async cancel(accountId: string, batchId: string, requestId: string, baseUrl: string) {
    const { batch, items } = await this.load(accountId, batchId);
    const rows = await this.rows(items);
    for (const item of items) {
      const status = rows.get(item.taskId)?.status;
      if (status && terminalStatuses.includes(status)) continue;
      try {
        await this.commands.cancel({ taskId: item.taskId, accountId, requestId });
      } catch (error) {
        // It ended meanwhile: nothing to give back.
        if (!(error instanceof DomainError && error.code === 'generation_not_cancelable')) throw error;
      }
    }
    return toBatchResource(batch, items, await this.rows(items), baseUrl);
  }

  private async load(accountId: string, batchId: string) {
    const loaded = isUuid(batchId) ? await loadBatch(this.sql, accountId, batchId) : undefined;
    if (!loaded) throw notFound(batchId);
    return loaded;
  }

  private async rows(items: readonly BatchItemRecord[]): Promise<Map<string, GenerationRow>> {
    return new Map((await loadGenerations(this.sql, items.map((item) => item.taskId))).map((row) => [row.id, row]));
  }
}

/** Caps apply per spender; a batch's items share the key, and the end user when they all name the same one. */
function commonSpender(items: readonly NewBatchItem[]): Spender | undefined {
  const users = new Set(items.map((item) => item.spender?.user));
  if (users.size > 1) {
    throw new DomainError('invalid_request', 'validation', 'Every item of a batch names the same user, or none does.', { field: 'items.user' });
  }
  return items[0]?.spender;
}
