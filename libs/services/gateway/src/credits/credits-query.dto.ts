import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, ValidateBy } from 'class-validator';
import { PageLimit } from '../http/page-limit';
import { decodeLedgerCursor } from './ledger-cursor';

/** Query of `GET /v1/credits` and `GET /v1/credits/entries`: one page of the entry history. */
export class CreditsQueryDto {
  @PageLimit('Entries per page, newest first.')
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
