import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsDefined,
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

/** Body of `PATCH /admin/accounts/{id}`. */
export class UpdateAccountDto {
  /**
   * Days this account's assets are kept before the retention job deletes them; fractions
   * allowed (1/86400 is one second). null returns the account to ASSET_RETENTION_DAYS.
   */
  @ApiProperty({
    type: Number,
    nullable: true,
    maximum: 36_500,
    example: 7,
    description: 'Days assets are kept (fractions allowed); null returns to ASSET_RETENTION_DAYS.',
  })
  @IsDefined()
  @ValidateIf((_, value) => value !== null)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @IsPositive()
  @Max(36_500)
  retention_days!: number | null;
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
