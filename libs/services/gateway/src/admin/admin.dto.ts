import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { PRIORITIES, type Priority } from '@darkroom/contracts';
import {
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsPositive,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';

/** Body of `POST /admin/accounts`. */
export class CreateAccountDto {
  @ApiProperty({ minLength: 1, maxLength: 200, example: 'acme', description: 'A name for people; not unique.' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;
}

/** Body of `POST /admin/accounts/{id}/credits`. */
export class GrantCreditsDto {
  @ApiProperty({ minimum: 1, maximum: 1_000_000_000, example: 50, description: 'Credits added to the account.' })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  amount!: number;

  @ApiPropertyOptional({ maxLength: 500, example: 'trial', description: 'Why; kept on the ledger entry (default "admin grant").' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

/** Body of `PATCH /admin/accounts/{id}`: the settings to change (at least one); the others stay. */
export class UpdateAccountDto {
  /**
   * Days this account's assets are kept before the retention job deletes them; fractions
   * allowed (1/86400 is one second). null returns the account to ASSET_RETENTION_DAYS.
   */
  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    maximum: 36_500,
    example: 7,
    description: 'Days assets are kept (fractions allowed); null returns to ASSET_RETENTION_DAYS.',
  })
  @ValidateIf((_, value) => value !== null && value !== undefined)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @IsPositive()
  @Max(36_500)
  retention_days?: number | null;

  /** Share of a provider's slots against other accounts with work waiting (decision 0024). */
  @ApiPropertyOptional({
    minimum: 1,
    maximum: 100,
    example: 2,
    description: "The account's share of a provider's slots while other accounts have work waiting (default 1; 2 gets twice the slots of 1).",
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  scheduling_weight?: number;

  /** The highest lane its requests may ask for; a request above it is refused (decision 0024). */
  @ApiPropertyOptional({
    enum: PRIORITIES,
    example: 'interactive',
    description: 'The highest `priority` its generation requests may ask for (default standard); above it: 400 `priority_not_allowed`.',
  })
  @IsOptional()
  @IsIn(PRIORITIES)
  max_priority?: Priority;
}

/** Body of `POST /admin/accounts/{id}/api_keys` (may be empty). */
export class IssueApiKeyDto {
  @ApiPropertyOptional({ maxLength: 200, example: 'production', description: 'A label shown in key listings.' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name?: string;
}
