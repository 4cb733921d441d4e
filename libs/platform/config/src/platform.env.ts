import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { toBool, toInt } from './env-transforms';

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

  /**
   * Deliveries of a message before it is dead-lettered, for every consumer of this process
   * (default: each consumer's own setting). RabbitMQ keeps a queue's delivery limit: changing
   * it for an existing queue needs that queue re-created.
   */
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(100) CONSUMER_MAX_ATTEMPTS?: number;

  /** Delays before each retry in ms, comma-separated, the last repeating (e.g. "1000,5000,30000"). */
  @IsOptional() @Matches(/^\d+(,\d+)*$/) CONSUMER_RETRY_DELAYS_MS?: string;

  /**
   * On SIGTERM, the longest the process takes to stop: it claims and accepts nothing new,
   * finishes or hands back what it holds, and is cut short after this. Keep it below the
   * orchestrator's grace period (Kubernetes' terminationGracePeriodSeconds, compose's
   * stop_grace_period: 30 s by default there, 10 s in compose).
   */
  @IsOptional() @Transform(toInt) @IsInt() @Min(1000) @Max(600_000) SHUTDOWN_GRACE_MS = 25_000;

  /** When set, `GET /metrics` answers only `Authorization: Bearer <METRICS_TOKEN>` (401 otherwise). */
  @IsOptional() @IsString() @MinLength(16) METRICS_TOKEN?: string;
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

/** Settings of every distributed service process (DESIGN §10). */
export class PlatformEnv extends ProcessEnv {
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

/** The embedded single process needs nothing; these only move it. */
export class EmbeddedEnv extends ProcessEnv {
  /** Quiet by default: `npm start` prints its own steps; `log` adds Nest's start-up lines and one line per request. */
  @IsOptional()
  @IsIn(['error', 'warn', 'log', 'debug', 'verbose'])
  override LOG_LEVEL = 'warn';

  @IsOptional()
  @IsString()
  @MinLength(1)
  DARKROOM_DATA_DIR = './.darkroom';
}
