import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsPositive,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';

const SIZE = /^[1-9]\d{0,4}x[1-9]\d{0,4}$/;
const RATIO = /^[1-9]\d?:[1-9]\d?$/;
/** A lower-case DNS name of two labels or more, optionally `*.`-prefixed; never an IP address. */
const RESULT_HOST = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** What a model can do; the gateway refuses requests outside it before charging. */
export class ModelCapabilities {
  @IsBoolean() textToImage!: boolean;
  /** Accepts `input_images` (edit targets). */
  @IsBoolean() edit!: boolean;
  /** Accepts `reference_images` (style or subject). */
  @IsBoolean() referenceImages!: boolean;
  /** Input plus reference images together. */
  @IsInt() @Min(0) @Max(64) maxInputImages!: number;
  @IsInt() @Min(1) @Max(16) maxN!: number;
  /** Exact sizes ("WxH") when the model has a fixed list. */
  @IsOptional() @IsArray() @ArrayUnique() @Matches(SIZE, { each: true }) sizes?: string[];
  /** Aspect ratios ("16:9") when the model is sized by ratio. */
  @IsOptional() @IsArray() @ArrayUnique() @Matches(RATIO, { each: true }) aspectRatios?: string[];
  /** Free sizes: each side within [minSide, maxSide] and a multiple of sideMultiple. */
  @IsOptional() @IsInt() @Min(1) minSide?: number;
  @IsOptional() @IsInt() @Min(1) maxSide?: number;
  @IsOptional() @IsInt() @Min(1) sideMultiple?: number;
  @IsOptional() @IsArray() @IsString({ each: true }) qualities?: string[];
}

export class ModelDefaults {
  @IsOptional() @Matches(SIZE) size?: string;
  @IsOptional() @Matches(RATIO) aspectRatio?: string;
  @IsOptional() @IsString() quality?: string;
}

/** Credits: (byQuality[quality] ?? perImage) × bySize[size] ?? 1 × n, rounded up. */
export class ModelPricing {
  @IsInt() @Min(0) perImage!: number;
  @IsOptional() @IsObject() byQuality?: Record<string, number>;
  @IsOptional() @IsObject() bySize?: Record<string, number>;
}

/** One public model: which provider serves it, what it costs and how long it may take. */
export class ModelEntry {
  /** Public id used in requests, e.g. "local". */
  @Matches(/^[a-z0-9][a-z0-9.-]{0,63}$/, { message: 'id must be lower-case letters, digits, dots and dashes' })
  id!: string;
  @IsIn(['local', 'openai', 'gemini', 'bfl', 'replicate', 'fal']) provider!: string;
  @IsString() @MinLength(1) providerModel!: string;
  /** A different provider endpoint for requests with input images (fal's `/edit` apps). */
  @IsOptional() @IsString() @MinLength(1) providerEditModel?: string;
  @IsString() description!: string;
  @ValidateNested() @Type(() => ModelCapabilities) capabilities!: ModelCapabilities;
  @ValidateNested() @Type(() => ModelDefaults) defaults!: ModelDefaults;
  @ValidateNested() @Type(() => ModelPricing) pricing!: ModelPricing;
  @IsInt() @Min(5) deadlineSeconds!: number;
  /** Attempts on this model before its fallbacks (or failure). */
  @IsInt() @Min(1) @Max(10) maxAttempts!: number;
  /** Base poll interval for async providers; slower when webhooks are configured. */
  @IsOptional() @IsNumber() @IsPositive() pollIntervalSeconds?: number;
  /** Other model ids tried, in order, once this model's attempts are spent. */
  @IsOptional() @IsArray() @IsString({ each: true }) fallbacks?: string[];
}

/** Limits per provider, shared by every model it serves. */
export class ProviderLimits {
  /** Jobs in flight at once across all instances; more wait inside darkroom. */
  @IsInt() @Min(1) concurrency!: number;
  /** Status polls per second across all instances (async providers). */
  @IsOptional() @IsNumber() @IsPositive() pollsPerSecond?: number;
  /**
   * Hosts the provider's result URLs may be downloaded from: exact names or `*.suffix`
   * (any subdomain). None for providers that answer with bytes; a URL from elsewhere is refused.
   */
  @IsOptional() @IsArray() @ArrayUnique() @Matches(RESULT_HOST, { each: true, message: 'resultHosts must be host names or *.suffix wildcards' })
  resultHosts?: string[];
}

export class CatalogFile {
  @IsInt() @Min(1) version!: number;
  @IsObject() providers!: Record<string, ProviderLimits>;
  @IsArray() @ValidateNested({ each: true }) @Type(() => ModelEntry) models!: ModelEntry[];
}
