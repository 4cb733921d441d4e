import type { FailureCode } from '@darkroom/contracts';
import type { GenerationRow } from '@darkroom/read-model-generations';
import type { CreateGenerationDto } from '../generations/create-generation.dto';
import { HttpProblem } from '../http/http-problem';
import type { OpenAiImageEditDto, OpenAiImageGenerationDto } from './openai-images.dto';

/** One image of an OpenAI images response. */
export type OpenAiImage = { readonly b64_json: string } | { readonly url: string };

/**
 * The native request a façade request stands for: "auto" means the model's default, the
 * end user's id goes into the task's metadata, and edits name their uploads as input images.
 */
export function toCreateGeneration(
  dto: OpenAiImageGenerationDto | OpenAiImageEditDto,
  defaultModel: string,
  inputImages: readonly string[] = [],
): CreateGenerationDto {
  return {
    model: dto.model ?? defaultModel,
    prompt: dto.prompt,
    ...(dto.size && dto.size !== 'auto' ? { size: dto.size } : {}),
    ...(dto.quality && dto.quality !== 'auto' ? { quality: dto.quality } : {}),
    ...(dto.n === undefined ? {} : { n: dto.n }),
    output_format: 'png',
    ...(inputImages.length > 0 ? { input_images: [...inputImages] } : {}),
    ...(dto.user ? { user: dto.user, metadata: { openai_user: dto.user } } : {}),
  };
}

/** OpenAI's images response (`created` in Unix seconds), plus the darkroom task it came from. */
export function toImagesResponse(row: GenerationRow, images: readonly OpenAiImage[]) {
  return {
    created: Math.floor(Date.parse(row.createdAt) / 1000),
    data: images,
    output_format: row.request.outputFormat,
    size: `${row.request.width}x${row.request.height}`,
    ...(row.request.quality ? { quality: row.request.quality } : {}),
    background: 'opaque',
    task_id: row.id,
  };
}

export type OpenAiImagesResponse = ReturnType<typeof toImagesResponse>;

/** The HTTP status a task's failure reason is answered with: the caller's fault 4xx, ours or a provider's 5xx. */
const failureStatus: Readonly<Record<FailureCode, number>> = {
  insufficient_credits: 402,
  spend_cap_reached: 402,
  invalid_input: 400,
  content_moderated: 400,
  provider_rejected: 400,
  provider_error: 502,
  storage_error: 502,
  timeout: 504,
};

/** The refusal for a task that did not complete, with its stable reason as the code. */
export function taskNotCompleted(row: GenerationRow): HttpProblem {
  if (row.status === 'canceled') {
    return new HttpProblem(409, 'generation_canceled', `Task ${row.id} was canceled before it completed.`, { task_id: row.id });
  }
  const code = row.error?.code ?? 'provider_error';
  return new HttpProblem(failureStatus[code] ?? 502, code, row.error?.message ?? `Task ${row.id} failed.`, {
    task_id: row.id,
    ...(row.error?.providerDetail === undefined ? {} : { provider_detail: row.error.providerDetail }),
  });
}

/** The task is still running when the façade stops waiting: fetch it later by id. */
export function stillRunning(row: Pick<GenerationRow, 'id' | 'status'>, waitedSeconds: number): HttpProblem {
  return new HttpProblem(
    504,
    'generation_still_running',
    `Task ${row.id} did not finish within ${waitedSeconds} s; it keeps running: GET /v1/generations/${row.id}, or repeat this request with the same Idempotency-Key.`,
    { task_id: row.id, task_status: row.status },
  );
}
