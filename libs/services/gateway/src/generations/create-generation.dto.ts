import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { IsMetadata } from '../http/validation';

/** Body of `POST /v1/generations` (snake_case, as on the wire). */
export class CreateGenerationDto {
  /** Public model id from `GET /v1/models`. */
  @IsString()
  @MinLength(1)
  model!: string;

  @IsString()
  @MinLength(1)
  @MaxLength(4000)
  prompt!: string;

  @IsOptional()
  @IsString()
  @MaxLength(4000)
  negative_prompt?: string;

  /** "WxH" in pixels; default 512x512. */
  @IsOptional()
  @Matches(/^[1-9]\d{0,4}x[1-9]\d{0,4}$/, { message: 'size must look like "1024x768"' })
  size?: string;

  /** Number of images; default 1. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(16)
  n?: number;

  /** Same seed, prompt and size give the same image on deterministic models; default random. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(2147483647)
  seed?: number;

  @IsOptional()
  @IsIn(['png'])
  output_format?: 'png';

  /** Free-form string pairs returned with the task. */
  @IsOptional()
  @IsMetadata()
  metadata?: Record<string, string>;
}
