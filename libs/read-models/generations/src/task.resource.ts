import { priorityOf } from '@darkroom/contracts';
import type { GenerationRow } from './generation-row';

/** The task as every endpoint and webhook payload returns it (DESIGN §9); it travels with the generations read model. */
export function toTaskResource(row: GenerationRow, baseUrl: string) {
  const { request } = row;
  return {
    id: row.id,
    object: 'generation',
    status: row.status,
    model: request.model,
    prompt: request.prompt,
    /** Scheduling lane (decision 0024); tasks created before lanes existed are standard. */
    priority: priorityOf(request),
    params: {
      negative_prompt: request.negativePrompt ?? null,
      size: `${request.width}x${request.height}`,
      aspect_ratio: request.aspectRatio ?? null,
      quality: request.quality ?? null,
      n: request.n,
      seed: request.seed,
      output_format: request.outputFormat,
      input_images: (request.inputImages ?? []).map((image) => image.uploadId),
      reference_images: (request.referenceImages ?? []).map((image) => image.uploadId),
    },
    created_at: row.createdAt,
    queued_at: row.queuedAt,
    processing_at: row.processingAt,
    completed_at: row.completedAt,
    failed_at: row.failedAt,
    canceled_at: row.canceledAt,
    error: row.error && {
      code: row.error.code,
      message: row.error.message,
      provider_detail: row.error.providerDetail ?? null,
    },
    // Outputs of a task that did not complete were never paid for: they are not handed out.
    assets:
      row.status === 'completed'
        ? row.assets.map((asset) => ({
            id: asset.id,
            url: `${baseUrl}/v1/assets/${asset.id}`,
            content_type: asset.contentType,
            width: asset.width,
            height: asset.height,
            bytes: asset.bytes,
            sha256: asset.sha256,
            expired: asset.deletedAt !== null,
            /** When retention deleted the object; its URL then answers 410 asset_expired. */
            deleted_at: asset.deletedAt,
          }))
        : [],
    credits: { price: row.price, state: row.creditsState },
    attempts: row.attempts,
    metadata: row.metadata,
  };
}

export type TaskResource = ReturnType<typeof toTaskResource>;
