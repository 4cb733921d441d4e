import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  ValidateNested,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { PRIORITIES, type Priority } from '@darkroom/contracts';
import { IsEndUserId, IsMetadata } from '../http/validation';
import { RequestWebhookDto } from '../webhook-endpoints/webhook-endpoint.dto';

/** Most upload ids one list may name; the model's own limit is usually lower. */
export const MAX_REQUEST_IMAGES = 16;

/** Body of `POST /v1/generations` (snake_case, as on the wire). */
export class CreateGenerationDto {
  /** Public model id from `GET /v1/models`. */
  @ApiProperty({ example: 'local', description: 'Public model id from `GET /v1/models`.' })
  @IsString()
  @MinLength(1)
  model!: string;

  @ApiProperty({ minLength: 1, maxLength: 4000, example: 'a lighthouse at dusk', description: 'What to draw, or how to edit.' })
  @IsString()
  @MinLength(1)
  @MaxLength(4000)
  prompt!: string;

  @ApiPropertyOptional({ maxLength: 4000, description: 'What to avoid, on models that take it.' })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  negative_prompt?: string;

  /** "WxH" in pixels; default the model's. Give size or aspect_ratio, not both. */
  @ApiPropertyOptional({
    pattern: '^[1-9]\\d{0,4}x[1-9]\\d{0,4}$',
    example: '1024x768',
    description: '"WxH" in pixels; default the model\'s. Give size or aspect_ratio, not both.',
  })
  @IsOptional()
  @Matches(/^[1-9]\d{0,4}x[1-9]\d{0,4}$/, { message: 'size must look like "1024x768"' })
  size?: string;

  /** "W:H", for models sized by ratio (see `GET /v1/models`); default the model's. */
  @ApiPropertyOptional({ example: '16:9', description: '"W:H", for models sized by ratio (see `GET /v1/models`).' })
  @IsOptional()
  @Matches(/^[1-9]\d?:[1-9]\d?$/, { message: 'aspect_ratio must look like "16:9"' })
  aspect_ratio?: string;

  /** One of the model's qualities, e.g. "high"; default the model's. */
  @ApiPropertyOptional({ maxLength: 32, example: 'high', description: "One of the model's qualities; default the model's." })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(32)
  quality?: string;

  /** Upload ids (`POST /v1/uploads`) of the images to edit, in order. */
  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    maxItems: MAX_REQUEST_IMAGES,
    description: 'Upload ids (`POST /v1/uploads`) of the images to edit, in order.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_REQUEST_IMAGES)
  @IsUUID('all', { each: true })
  input_images?: string[];

  /** Upload ids of style or subject references. */
  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    maxItems: MAX_REQUEST_IMAGES,
    description: 'Upload ids of style or subject references.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_REQUEST_IMAGES)
  @IsUUID('all', { each: true })
  reference_images?: string[];

  /** Number of images; default 1. */
  @ApiPropertyOptional({ minimum: 1, maximum: 16, default: 1, description: "Number of images, up to the model's maximum." })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(16)
  n?: number;

  /** Same seed, prompt and size give the same image on deterministic models; default random. */
  @ApiPropertyOptional({
    minimum: 0,
    maximum: 2147483647,
    example: 42,
    description: 'Same seed, prompt and size give the same image on deterministic models.',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(2147483647)
  seed?: number;

  @ApiPropertyOptional({ enum: ['png'], default: 'png' })
  @IsOptional()
  @IsIn(['png'])
  output_format?: 'png';

  /** The product's end user this task is for (as OpenAI's `user`): their spend caps apply. */
  @ApiPropertyOptional({
    minLength: 1,
    maxLength: 256,
    example: 'user-1234',
    description:
      "Your end user's id (as OpenAI's `user`). Spend caps set for this user (`PUT /v1/spend_caps`) apply to the task, and its credits count in `GET /v1/usage/users`.",
  })
  @IsOptional()
  @IsEndUserId()
  user?: string;

  /** Free-form string pairs returned with the task. */
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { order: '1234' },
    description: 'Free-form string pairs returned with the task (at most 16 keys).',
  })
  @IsOptional()
  @IsMetadata()
  metadata?: Record<string, string>;

  /** Scheduling lane at the provider (decision 0024); default standard, at most the account's maximum. */
  @ApiPropertyOptional({
    enum: PRIORITIES,
    default: 'standard',
    description:
      "Scheduling lane at the provider: interactive starts before standard, standard before batch; a lower lane ages in " +
      "so it is never starved. At most the account's `max_priority` (set by admins, default standard): above it the " +
      'request is refused with 400 `priority_not_allowed`.',
  })
  @IsOptional()
  @IsIn(PRIORITIES)
  priority?: Priority;

  /** Seconds from creation after which the task fails with `timeout`; at most the model's `deadline_seconds`. */
  @ApiPropertyOptional({
    minimum: 1,
    maximum: 86400,
    example: 15,
    description:
      'Seconds from creation after which the task fails with `timeout` (provider job canceled best-effort, credits released, a later result never billed). At most the model’s own `deadline_seconds` (`GET /v1/models`), which is the default; above it: 400 `deadline_above_model`.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(86400)
  deadline_seconds?: number;

  /**
   * This task's own webhook: its terminal events are POSTed there, signed with the account's
   * default secret (`GET /v1/webhooks/default/secret`) and retried as an endpoint's are.
   */
  @ApiPropertyOptional({
    type: () => RequestWebhookDto,
    description:
      'This task’s own webhook: its terminal events are POSTed there, signed per Standard Webhooks with the account’s default secret (`GET /v1/webhooks/default/secret`) and retried like an endpoint’s; logged at `GET /v1/webhooks/default/deliveries`.',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => RequestWebhookDto)
  webhook?: RequestWebhookDto;
}
