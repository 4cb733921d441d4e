import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { IsEndUserId } from '../http/validation';

/** multipart sends every field as text: "false" is false. */
const toBoolean = ({ value }: { value: unknown }) => (value === 'false' ? false : value === 'true' ? true : value);

/**
 * The fields OpenAI's Images API takes on both routes. darkroom renders PNG only and does
 * not stream; values it cannot honour are refused (400) rather than silently ignored, and
 * the ones that change nothing for a PNG (compression, moderation level, style) are accepted.
 */
class OpenAiImageFieldsDto {
  @ApiProperty({ minLength: 1, maxLength: 4000, description: 'What to render (or how to change the image).' })
  @IsString()
  @MinLength(1)
  @MaxLength(4000)
  prompt!: string;

  @ApiPropertyOptional({ example: 'gpt-image-1', description: 'A darkroom model id (`GET /v1/models`); default OPENAI_COMPAT_DEFAULT_MODEL (`gpt-image-1` where OpenAI is configured, else `local`).' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  model?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 16, description: 'Number of images; default 1.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(16)
  n?: number;

  @ApiPropertyOptional({ example: '1024x1024', description: '"WxH" or "auto" (the model\'s default).' })
  @IsOptional()
  @Matches(/^(auto|[1-9]\d{0,4}x[1-9]\d{0,4})$/, { message: 'size must be "auto" or look like "1024x1024"' })
  size?: string;

  @ApiPropertyOptional({ example: 'high', description: 'One of the model\'s qualities, or "auto" (the model\'s default).' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(32)
  quality?: string;

  @ApiPropertyOptional({ enum: ['b64_json', 'url'], description: 'b64_json (default): the bytes inline; url: a signed asset URL that works without a key for `SIGNED_ASSET_URL_TTL_SECONDS`.' })
  @IsOptional()
  @IsIn(['b64_json', 'url'])
  response_format?: 'b64_json' | 'url';

  @ApiPropertyOptional({ enum: ['png'], description: 'darkroom returns PNG only.' })
  @IsOptional()
  @IsIn(['png'], { message: 'output_format must be png: darkroom renders PNG only' })
  output_format?: 'png';

  @ApiPropertyOptional({ enum: ['auto', 'opaque'], description: 'Transparent backgrounds are not offered.' })
  @IsOptional()
  @IsIn(['auto', 'opaque'], { message: 'background must be auto or opaque: transparent backgrounds are not offered' })
  background?: 'auto' | 'opaque';

  @ApiPropertyOptional({ minimum: 0, maximum: 100, description: 'Accepted and ignored (PNG is lossless).' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(100)
  output_compression?: number;

  @ApiPropertyOptional({ enum: ['auto', 'low'], description: 'Accepted and ignored; darkroom\'s own moderation applies.' })
  @IsOptional()
  @IsIn(['auto', 'low'])
  moderation?: 'auto' | 'low';

  @ApiPropertyOptional({ enum: [false], description: 'Streaming partial images is not offered.' })
  @IsOptional()
  @Transform(toBoolean)
  @IsIn([false], { message: 'stream must be false: streaming is not offered' })
  stream?: false;

  @ApiPropertyOptional({ enum: [0], description: 'Partial images are not offered.' })
  @IsOptional()
  @Type(() => Number)
  @IsIn([0], { message: 'partial_images must be 0: streaming is not offered' })
  partial_images?: 0;

  @ApiPropertyOptional({
    maxLength: 256,
    description: 'Your end user\'s id; kept on the task as metadata "openai_user", and their spend caps apply (`PUT /v1/spend_caps`).',
  })
  @IsOptional()
  @IsEndUserId()
  user?: string;
}

/** JSON body of `POST /v1/images/generations`. */
export class OpenAiImageGenerationDto extends OpenAiImageFieldsDto {
  @ApiPropertyOptional({ enum: ['vivid', 'natural'], description: 'DALL·E 3 only; accepted and ignored.' })
  @IsOptional()
  @IsIn(['vivid', 'natural'])
  style?: 'vivid' | 'natural';
}

/** Text fields of the multipart body of `POST /v1/images/edits` (files: `image` or `image[]`; `mask` is refused). */
export class OpenAiImageEditDto extends OpenAiImageFieldsDto {
  @ApiPropertyOptional({ enum: ['high', 'low'], description: 'Accepted and ignored.' })
  @IsOptional()
  @IsIn(['high', 'low'])
  input_fidelity?: 'high' | 'low';
}
