import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import type { Clock } from '@darkroom/kernel';
import type { ObjectStorage, SignedAssetUrls } from '@darkroom/object-storage';
import { CLOCK, OBJECT_STORAGE } from '@darkroom/runtime';
import type { GenerationRow, TaskAsset } from '@darkroom/read-model-generations';
import { AssetsService } from '../assets/assets.service';
import { assetUrlsOf, availableProviders, GATEWAY_OPTIONS, type GatewayOptions } from '../gateway.options';
import type { Priority } from '@darkroom/contracts';
import type { CreateGenerationDto } from '../generations/create-generation.dto';
import { GenerationsService } from '../generations/generations.service';
import { requestFingerprint } from '../idempotency/idempotency-key';
import type { ReceivedFile } from '../uploads/multipart-receiver';
import { UploadsService } from '../uploads/uploads.service';
import type { OpenAiImageEditDto, OpenAiImageGenerationDto } from './openai-images.dto';
import {
  stillRunning,
  taskNotCompleted,
  toCreateGeneration,
  toImagesResponse,
  type OpenAiImage,
  type OpenAiImagesResponse,
} from './openai-images.mapping';

export const DEFAULT_OPENAI_COMPAT_TIMEOUT_SECONDS = 120;
/** The façade's model when a request names none and OPENAI_COMPAT_DEFAULT_MODEL is unset: OpenAI's own where it is configured, else the local renderer. */
export const defaultOpenAiCompatModel = (options: GatewayOptions): string =>
  availableProviders(options).includes('openai') ? 'gpt-image-1' : 'local';
/** How often a waiting request looks at its task (the read model, or the log when it lags). */
const POLL_INTERVAL_MS = 250;
const TERMINAL = new Set(['completed', 'failed', 'canceled']);

/** One façade request, after validation. */
export interface OpenAiImagesRequest {
  readonly accountId: string;
  /** The account's highest lane: the façade's tasks run standard, or lower when that is the maximum. */
  readonly maxPriority?: Priority;
  /** The API key the request came with: its spend caps apply. */
  readonly apiKeyId?: string;
  readonly requestId: string;
  /** `PUBLIC_BASE_URL`, for asset URLs. */
  readonly baseUrl: string;
  /** e.g. "POST /v1/images/edits": part of the Idempotency-Key fingerprint. */
  readonly route: string;
  readonly dto: OpenAiImageGenerationDto | OpenAiImageEditDto;
  /** The images to edit, in order, as received (edits only). */
  readonly images?: readonly ReceivedFile[];
  readonly idempotencyKey?: string;
  /** What identifies the request for its Idempotency-Key (the body, files by digest). */
  readonly fingerprintBody: unknown;
}

export interface OpenAiImagesAnswer {
  readonly body: OpenAiImagesResponse;
  /** True when an earlier request with the same Idempotency-Key created the task. */
  readonly replayed: boolean;
}

/**
 * The OpenAI-compatible façade: a native task made through the same path as
 * `POST /v1/generations` (pricing, reservation, events, idempotency), awaited up to a
 * timeout, and answered in OpenAI's shape from the stored assets.
 */
@Injectable()
export class OpenAiImagesService {
  private readonly timeoutSeconds: number;
  private readonly defaultModel: string;
  private readonly assetUrls: SignedAssetUrls;

  constructor(
    private readonly generations: GenerationsService,
    private readonly uploads: UploadsService,
    private readonly assets: AssetsService,
    @Inject(OBJECT_STORAGE) private readonly objects: ObjectStorage,
    @Inject(GATEWAY_OPTIONS) options: GatewayOptions,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.timeoutSeconds = options.openaiCompat?.timeoutSeconds ?? DEFAULT_OPENAI_COMPAT_TIMEOUT_SECONDS;
    this.defaultModel = options.openaiCompat?.defaultModel ?? defaultOpenAiCompatModel(options);
    this.assetUrls = assetUrlsOf(options);
  }

  async handle(request: OpenAiImagesRequest): Promise<OpenAiImagesAnswer> {
    const { accountId, idempotencyKey } = request;
    const creation = await this.generations.create({
      accountId,
      apiKeyId: request.apiKeyId,
      requestId: request.requestId,
      ...(request.maxPriority ? { maxPriority: request.maxPriority } : {}),
      body: () => this.nativeRequest(request),
      idempotency:
        idempotencyKey === undefined ? undefined : { key: idempotencyKey, fingerprint: requestFingerprint(request.route, request.fingerprintBody) },
    });
    if (creation.kind === 'replay') return { body: creation.body as OpenAiImagesResponse, replayed: true };
    // An earlier request's task (one that timed out, or is still waiting) is answered from,
    // charging nothing more.
    const replayed = creation.kind === 'existing';
    const taskId = creation.kind === 'existing' ? creation.taskId : creation.row.id;
    const row = await this.waitForEnd(accountId, taskId);
    if (row.status !== 'completed') throw taskNotCompleted(row);
    const format = request.dto.response_format ?? 'b64_json';
    const images = await Promise.all(row.assets.map((asset) => this.image(accountId, asset, format, request.baseUrl)));
    return { body: toImagesResponse(row, images), replayed };
  }

  /** Edits store their images as uploads first (the same checks as `POST /v1/uploads`). */
  private async nativeRequest(request: OpenAiImagesRequest): Promise<CreateGenerationDto> {
    const uploadIds: string[] = [];
    for (const file of request.images ?? []) uploadIds.push((await this.uploads.create(request.accountId, file)).id);
    return toCreateGeneration(request.dto, this.defaultModel, uploadIds);
  }

  private async waitForEnd(accountId: string, taskId: string): Promise<GenerationRow> {
    const deadline = this.clock.now().getTime() + this.timeoutSeconds * 1000;
    for (;;) {
      const row = await this.generations.get(accountId, taskId);
      if (TERMINAL.has(row.status)) return row;
      if (this.clock.now().getTime() >= deadline) throw stillRunning(row, this.timeoutSeconds);
      await sleep(Math.min(POLL_INTERVAL_MS, Math.max(0, deadline - this.clock.now().getTime())));
    }
  }

  private async image(accountId: string, output: TaskAsset, format: 'b64_json' | 'url', baseUrl: string): Promise<OpenAiImage> {
    // Signed: OpenAI's `url` goes straight into an <img>, which sends no key.
    if (format === 'url') return { url: this.assetUrls.signer.url(baseUrl, output.id, new Date(this.clock.now().getTime() + this.assetUrls.ttlSeconds * 1000)) };
    const asset = await this.assets.find(accountId, output.id);
    return { b64_json: (await this.objects.getObjectBytes(asset.key)).toString('base64') };
  }
}
