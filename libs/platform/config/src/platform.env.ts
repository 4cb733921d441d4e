import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsPositive, IsString, Matches, Max, Min, MinLength } from 'class-validator';

/** A number when the text is one; otherwise the text, so the error shows what was given. */
const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)) ? Number(value) : value;
const toBool = ({ value }: { value: unknown }) =>
  value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;

/** What the `migrate` command needs. */
export class DatabaseEnv {
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'must be a postgres:// URL' })
  DATABASE_URL!: string;
}

/** Settings every process has. */
export class ProcessEnv {
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsOptional()
  @IsIn(['error', 'warn', 'log', 'debug', 'verbose'])
  LOG_LEVEL = 'log';

  /** `json`: one pino JSON object per line (default); `text`: Nest's coloured console lines. */
  @IsOptional()
  @IsIn(['json', 'text'])
  LOG_FORMAT?: 'json' | 'text';

  /** Lets `[fail]` / `[slow:<ms>]` in a prompt steer the local renderer; for tests only. */
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  LOCAL_PROVIDER_TEST_MARKERS = false;

  /**
   * Deliveries of a message before it is dead-lettered, for every consumer of this process
   * (default: each consumer's own setting). RabbitMQ keeps a queue's delivery limit: changing
   * it for an existing queue needs that queue re-created.
   */
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(100) CONSUMER_MAX_ATTEMPTS?: number;

  /** Delays before each retry in ms, comma-separated, the last repeating (e.g. "1000,5000,30000"). */
  @IsOptional() @Matches(/^\d+(,\d+)*$/) CONSUMER_RETRY_DELAYS_MS?: string;
}

/** What `CONSUMER_*` settings change for every consumer of a process. */
export function consumerOverrides(env: Pick<ProcessEnv, 'CONSUMER_MAX_ATTEMPTS' | 'CONSUMER_RETRY_DELAYS_MS'>): {
  maxAttempts?: number;
  retryDelaysMs?: number[];
} {
  return {
    ...(env.CONSUMER_MAX_ATTEMPTS === undefined ? {} : { maxAttempts: env.CONSUMER_MAX_ATTEMPTS }),
    ...(env.CONSUMER_RETRY_DELAYS_MS === undefined ? {} : { retryDelaysMs: env.CONSUMER_RETRY_DELAYS_MS.split(',').map(Number) }),
  };
}

/**
 * Providers and the model catalog. A provider without its key is off: its models are
 * listed as unavailable and refused. Base URLs default to the real APIs; tests point them
 * at fakes.
 */
export class ProvidersEnv extends ProcessEnv {
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

  /** How often the generation service fails tasks past their deadline. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(100) @Max(600000) DEADLINE_SWEEP_INTERVAL_MS = 5000;
  /**
   * The ledger's backstop: a credit reservation still open this many seconds after it was made
   * (its task's capture or release never arrived) is released with reason `expired`. Keep it well
   * above the longest model deadline (the shipped catalog's is 900 s).
   */
  @IsOptional() @Transform(toInt) @IsInt() @Min(60) @Max(31_536_000) LEDGER_RESERVATION_MAX_AGE_SECONDS = 21_600;
  /** How often the ledger looks for reservations past LEDGER_RESERVATION_MAX_AGE_SECONDS. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(100) @Max(86_400_000) LEDGER_SWEEP_INTERVAL_MS = 60_000;

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
  /** Days assets are kept unless their account sets its own (`PATCH /admin/accounts/{id}`); fractions allowed. */
  @IsOptional() @Transform(toInt) @IsNumber({ allowNaN: false, allowInfinity: false }) @IsPositive() ASSET_RETENTION_DAYS = 30;
  /** How often storage deletes assets past their retention. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(100) @Max(86_400_000) RETENTION_SWEEP_INTERVAL_MS = 60_000;
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

  /**
   * How `GET /v1/assets/{id}` hands out an image once the caller's ownership is checked:
   * `redirect` (302 to a presigned GET, or to ASSET_PUBLIC_BASE_URL when set) or `proxy`
   * (the gateway streams the bytes itself), for browsers that cannot reach the bucket, e.g.
   * the embedded mode's s3rver, which listens on loopback and sends no CORS headers.
   * Unset: `redirect`, except in the embedded mode, which hands out no bucket address unless
   * asked to: `proxy` there, or the CDN redirect when ASSET_PUBLIC_BASE_URL is set.
   */
  @IsOptional() @IsIn(['redirect', 'proxy']) ASSET_DELIVERY?: 'redirect' | 'proxy';
  /** Seconds a presigned asset URL stays valid; the redirect to it is cached for less. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(10) @Max(604800) ASSET_URL_TTL_SECONDS = 300;
  /**
   * A CDN (or public bucket) domain serving the bucket's keys, e.g. https://img.example.com;
   * assets then redirect to the stable `${ASSET_PUBLIC_BASE_URL}/${key}` instead of a presigned URL.
   */
  @IsOptional() @Matches(/^https?:\/\/[^\s?#]+$/, { message: 'must be an http(s):// URL without query or fragment' })
  ASSET_PUBLIC_BASE_URL?: string;

  /** Hours an `Idempotency-Key` and its first response are kept (gateway); fractions allowed. */
  @IsOptional() @Transform(toInt) @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0.01) @Max(8760)
  IDEMPOTENCY_KEY_TTL_HOURS = 24;
  /** Seconds `POST /v1/images/*` waits for its task before a 504 naming the task id. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(3600) OPENAI_COMPAT_TIMEOUT_SECONDS = 120;
  /** Catalog id `POST /v1/images/*` uses when a request names no model. */
  @IsOptional() @IsString() @MinLength(1) OPENAI_COMPAT_DEFAULT_MODEL = 'gpt-image-1';
  /** How often the gateway checks the tasks of open status streams (`GET /v1/generations/{id}/stream`) for changes. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(50) @Max(60_000) STREAM_POLL_INTERVAL_MS = 300;
  /** Seconds of silence after which a status stream sends a heartbeat comment, so proxies keep it open. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(3600) STREAM_HEARTBEAT_SECONDS = 15;
}

/** Settings of every distributed service process (DESIGN §10). */
export class PlatformEnv extends ProvidersEnv {
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'must be a postgres:// URL' })
  DATABASE_URL!: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(200)
  DATABASE_POOL_SIZE = 10;

  @Matches(/^amqps?:\/\/.+/, { message: 'must be an amqp:// URL' })
  AMQP_URL!: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  AMQP_EXCHANGE = 'darkroom.events';

  @IsOptional()
  @IsString()
  @MinLength(1)
  AMQP_QUEUE_PREFIX = 'darkroom';

  /** Custom endpoint for R2, MinIO or s3rver; unset means AWS S3. */
  @IsOptional()
  @Matches(/^https?:\/\/.+/, { message: 'must be an http(s):// URL' })
  S3_ENDPOINT?: string;

  @IsString()
  @MinLength(3)
  S3_BUCKET!: string;

  @IsOptional()
  @IsString()
  S3_REGION = 'us-east-1';

  @IsString()
  @MinLength(1)
  S3_ACCESS_KEY_ID!: string;

  @IsString()
  @MinLength(1)
  S3_SECRET_ACCESS_KEY!: string;

  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  S3_FORCE_PATH_STYLE = false;
}

/** The gateway also needs the admin credential. */
export class GatewayEnv extends PlatformEnv {
  @IsString()
  @MinLength(16, { message: 'must be at least 16 characters' })
  ADMIN_API_KEY!: string;

  /** Requests per API key per minute, counted across every gateway (PostgreSQL); 0 turns limiting off. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(100_000_000) RATE_LIMIT_PER_MINUTE = 600;

  /**
   * The proxies whose `X-Forwarded-For` names the client (Express's `trust proxy`): a hop
   * count (`1`) or comma-separated addresses, subnets and `loopback` / `linklocal` /
   * `uniquelocal`. Unset: none, the client is the socket's address. The failed-key throttle
   * counts per client, so behind a balancer set this, or every client shares its address.
   */
  @IsOptional()
  @Matches(/^(\d{1,2}|\s*(loopback|linklocal|uniquelocal|[0-9a-fA-F.:]+(\/\d{1,3})?)\s*(,\s*(loopback|linklocal|uniquelocal|[0-9a-fA-F.:]+(\/\d{1,3})?)\s*)*)$/, {
    message: 'must be a hop count or comma-separated addresses, subnets, loopback, linklocal or uniquelocal',
  })
  TRUST_PROXY?: string;
}

/** The embedded single process needs nothing; these only move it. */
export class EmbeddedEnv extends ProvidersEnv {
  @IsOptional()
  @IsString()
  @MinLength(1)
  DARKROOM_DATA_DIR = './.darkroom';

  /** Requests per API key per minute, counted in memory; 0 turns limiting off. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(100_000_000) RATE_LIMIT_PER_MINUTE = 600;
}
