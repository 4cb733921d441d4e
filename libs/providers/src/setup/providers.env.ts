import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsNumber, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { toBool, toInt } from '@darkroom/config';

/**
 * Providers and the model catalog. A provider without its key is off: its models are
 * listed as unavailable and refused. Base URLs default to the real APIs; tests point them
 * at fakes. Also the settings the services share through what `providerSetup` builds: the
 * image decode budget (gateway, storage, the local renderer) and darkroom's own moderation
 * rules (provider-adapter for prompts, storage for result images).
 */
export class ProvidersEnv {
  /** Lets `[fail]` / `[slow:<ms>]` in a prompt steer the local renderer; for tests only. */
  @IsOptional() @Transform(toBool) @IsBoolean() LOCAL_PROVIDER_TEST_MARKERS = false;

  /** A JSON file merged over the shipped catalog (models by id, provider limits by name). */
  @IsOptional() @IsString() @MinLength(1) MODEL_CATALOG_FILE?: string;

  /**
   * darkroom's public URL as providers reach it (e.g. https://api.example.com); with it,
   * async providers call back on /webhooks/providers/{provider} and polling slows to a
   * safety net. Without it, polling alone finds results.
   */
  @IsOptional() @Matches(/^https?:\/\/[^\s]+$/, { message: 'must be an http(s):// URL' }) WEBHOOK_BASE_URL?: string;

  @IsOptional() @Transform(toInt) @IsInt() @Min(100) @Max(600000) PROVIDER_REQUEST_TIMEOUT_MS = 120000;
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(3600) WEBHOOK_TOLERANCE_SECONDS = 300;

  @IsOptional() @IsString() @MinLength(1) OPENAI_API_KEY?: string;
  @IsOptional() @Matches(/^https?:\/\/.+/) OPENAI_BASE_URL = 'https://api.openai.com/v1';

  @IsOptional() @IsString() @MinLength(1) GEMINI_API_KEY?: string;
  @IsOptional() @Matches(/^https?:\/\/.+/) GEMINI_BASE_URL = 'https://generativelanguage.googleapis.com/v1beta';

  @IsOptional() @IsString() @MinLength(1) BFL_API_KEY?: string;
  @IsOptional() @Matches(/^https?:\/\/.+/) BFL_BASE_URL = 'https://api.bfl.ai';
  /** Sent with each job; BFL signs callbacks with it (X-BFL-Signature). */
  @IsOptional() @IsString() @MinLength(16) BFL_WEBHOOK_SECRET?: string;

  @IsOptional() @IsString() @MinLength(1) REPLICATE_API_TOKEN?: string;
  @IsOptional() @Matches(/^https?:\/\/.+/) REPLICATE_BASE_URL = 'https://api.replicate.com/v1';
  /** `whsec_…` from GET /v1/webhooks/default/secret. */
  @IsOptional() @Matches(/^whsec_.+/, { message: 'must start with whsec_' }) REPLICATE_WEBHOOK_SECRET?: string;

  @IsOptional() @IsString() @MinLength(1) FAL_KEY?: string;
  @IsOptional() @Matches(/^https?:\/\/.+/) FAL_QUEUE_URL = 'https://queue.fal.run';
  @IsOptional() @Matches(/^https?:\/\/.+/) FAL_JWKS_URL = 'https://rest.alpha.fal.ai/.well-known/jwks.json';

  /**
   * Hosts whose result URLs may be fetched over plain http (tests' fakes on loopback);
   * comma-separated host:port. Empty in production: https only.
   */
  @IsOptional() @IsString() PROVIDER_HTTP_HOSTS = '';

  /**
   * The decode budget of every image darkroom reads (uploads, edit inputs, provider results),
   * checked from the header before any pixel is decoded: width × height, decoded bytes
   * (width × height × channels × bytes per sample), the longer side, and long ÷ short side.
   */
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(1_000_000_000) IMAGE_MAX_PIXELS = 40_000_000;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1024) @Max(4_294_967_296) IMAGE_MAX_DECODED_BYTES = 100 * 1024 * 1024;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(65_535) IMAGE_MAX_SIDE = 16_384;
  @IsOptional() @Transform(toInt) @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(1) IMAGE_MAX_ASPECT_RATIO = 20;
  /** Images decoded at once per process; the rest wait their turn. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(64) IMAGE_DECODE_CONCURRENCY = 2;
  /**
   * Words or phrases refused in prompts and negative prompts, comma-separated, matched
   * case-insensitively on word boundaries; a match fails the task with content_moderated
   * before any provider sees it.
   */
  @IsOptional() @IsString() MODERATION_BLOCKLIST = '';
  /** Hex SHA-256 digests of result images refused (content_moderated), comma-separated. */
  @IsOptional()
  @Matches(/^\s*([0-9a-fA-F]{64}\s*(,\s*[0-9a-fA-F]{64}\s*)*)?$/, { message: 'must be comma-separated hex SHA-256 digests' })
  MODERATION_BLOCKED_IMAGE_SHA256 = '';
}
