import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

import { IsDefined, IsIn, IsInt, IsOptional, Max, Min, ValidateIf } from 'class-validator';
import type { SpendCapPeriod, SpendCapScope } from '@darkroom/contracts';
import { PageLimit } from '../http/page-limit';
import { IsEndUserId } from '../http/validation';

/** Body of `PUT /v1/spend_caps` and `PUT /admin/accounts/{id}/spend_caps`. */
export class SetSpendCapDto {
  @ApiProperty({ enum: ['key', 'user'], description: 'What the cap is on: one API key of the account, or one end user (`user` on requests).' })
  @IsIn(['key', 'user'])
  scope!: SpendCapScope;

  @ApiProperty({ maxLength: 256, example: 'user-1234', description: "The API key's id (`key_…` from the key listing) or the end user's id." })
  @IsEndUserId()
  id!: string;

  @ApiProperty({ enum: ['day', 'month'], description: 'The period the cap counts over: a UTC day or a UTC calendar month.' })
  @IsIn(['day', 'month'])
  period!: SpendCapPeriod;

  @ApiProperty({
    type: Number,
    nullable: true,
    minimum: 0,
    maximum: 1_000_000_000_000,
    example: 100,
    description: 'Credits that may be reserved per period (0 refuses everything); null removes the cap.',
  })
  @IsDefined()
  @ValidateIf((_, value) => value !== null)
  @IsInt()
  @Min(0)
  @Max(1_000_000_000_000)
  limit!: number | null;
}

/** Query of `GET /v1/usage/keys` and `GET /v1/usage/users`. */
export class UsageQueryDto {
  @PageLimit('Keys or users per page, by id.')
  limit?: number;

  @ApiPropertyOptional({ maxLength: 256, description: 'The `next_after` of the previous page: the list continues after this id.' })
  @IsOptional()
  @IsEndUserId()
  after?: string;
}

/** `:scope` of the usage routes. */
export const USAGE_SCOPES: Readonly<Record<string, SpendCapScope>> = { keys: 'key', users: 'user' };

/** For OpenAPI: the numbers of one period. */
export class UsagePeriodResource {
  @ApiProperty({ example: '2026-12-08', description: 'The current period: `YYYY-MM-DD` or `YYYY-MM` (UTC).' })
  window!: string;

  @ApiProperty({ example: 40, description: 'Credits reserved or spent in it (released ones are given back).' })
  credits!: number;

  @ApiProperty({ type: Number, nullable: true, example: 100, description: 'The cap for the period, or null.' })
  cap!: number | null;
}

/** For OpenAPI: `spend_usage`. */
export class SpendUsageResource {
  @ApiProperty({ enum: ['spend_usage'] })
  object!: 'spend_usage';

  @ApiProperty({ enum: ['key', 'user'] })
  scope!: SpendCapScope;

  @ApiProperty({ example: 'user-1234' })
  id!: string;

  @ApiProperty({ type: UsagePeriodResource })
  day!: UsagePeriodResource;

  @ApiProperty({ type: UsagePeriodResource })
  month!: UsagePeriodResource;
}

/** For OpenAPI: `spend_cap`, as the ledger holds it once set. */
export class SpendCapResource {
  @ApiProperty({ enum: ['spend_cap'] })
  object!: 'spend_cap';

  @ApiProperty({ enum: ['key', 'user'] })
  scope!: SpendCapScope;

  @ApiProperty({ example: 'user-1234' })
  id!: string;

  @ApiProperty({ enum: ['day', 'month'] })
  period!: SpendCapPeriod;

  @ApiProperty({ type: Number, nullable: true, example: 100, description: 'null once removed.' })
  limit!: number | null;

  @ApiProperty({ example: '2026-12-08' })
  window!: string;

  @ApiProperty({ example: 40, description: 'Credits counted against the cap in its current period, as the ledger decides.' })
  used!: number;
}

