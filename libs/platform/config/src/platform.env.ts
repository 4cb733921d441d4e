import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';

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

  /** Lets `[fail]` / `[slow:<ms>]` in a prompt steer the local renderer; for tests only. */
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  LOCAL_PROVIDER_TEST_MARKERS = false;
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

/** The gateway also needs the admin credential. */
export class GatewayEnv extends PlatformEnv {
  @IsString()
  @MinLength(16, { message: 'must be at least 16 characters' })
  ADMIN_API_KEY!: string;
}

/** The embedded single process needs nothing; these only move it. */
export class EmbeddedEnv extends ProcessEnv {
  @IsOptional()
  @IsString()
  @MinLength(1)
  DARKROOM_DATA_DIR = './.darkroom';
}
