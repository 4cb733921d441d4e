import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min, ValidateBy } from 'class-validator';
import { decodeLedgerCursor } from './ledger-cursor';

/** Query of `GET /v1/credits` and `GET /v1/credits/entries`: one page of the entry history. */
export class CreditsQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20, description: 'Entries per page, newest first.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'The `next_cursor` of the previous page (opaque).' })
  @IsOptional()
  @ValidateBy({
    name: 'isLedgerCursor',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && decodeLedgerCursor(value) !== undefined,
      defaultMessage: () => 'cursor must be a next_cursor returned by this endpoint',
    },
  })
  cursor?: string;
}
