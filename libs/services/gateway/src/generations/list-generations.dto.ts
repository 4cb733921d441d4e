import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsIn, IsOptional, IsString, isISO8601, MaxLength, MinLength, ValidateBy } from 'class-validator';
import { GenerationStatus } from '@darkroom/contracts';
import { PageLimit } from '../http/page-limit';

const STATUSES = Object.values(GenerationStatus);

/** A date, or a date and time with `Z` or an offset: a bare local time would depend on the server's zone. */
const ZONED_ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/i;

/** An ISO 8601 date (midnight UTC) or date-time with `Z` or an offset. */
function IsZonedInstant(): PropertyDecorator {
  return ValidateBy({
    name: 'isZonedInstant',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'string' && ZONED_ISO_8601.test(value) && isISO8601(value, { strict: true }) && !Number.isNaN(Date.parse(value)),
      defaultMessage: (args) => `${args?.property} must be an ISO 8601 date or date-time with Z or an offset, e.g. 2026-11-24T10:00:00Z`,
    },
  });
}

/** `status=queued,processing` and `status=queued&status=processing` alike become a list. */
const toList = ({ value }: { value: unknown }) =>
  typeof value === 'string' || Array.isArray(value)
    ? [value]
        .flat()
        .flatMap((item) => String(item).split(','))
        .map((item) => item.trim())
    : value;

/** Query of `GET /v1/generations`. */
export class ListGenerationsQueryDto {
  @PageLimit('Tasks per page.')
  limit?: number;

  @ApiPropertyOptional({ description: 'The `next_cursor` of the previous page (opaque); send the same filters with it.' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  cursor?: string;

  @ApiPropertyOptional({
    type: String,
    example: 'queued,processing',
    description: `Only tasks in these statuses: one or a comma-separated list of ${STATUSES.join(', ')}.`,
  })
  @IsOptional()
  @Transform(toList)
  @ArrayMaxSize(STATUSES.length * 2)
  @IsIn(STATUSES, { each: true, message: `status must be one or a comma-separated list of: ${STATUSES.join(', ')}` })
  status?: GenerationStatus[];

  @ApiPropertyOptional({ example: 'local', description: 'Only tasks of this model id (as in `GET /v1/models`).' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  model?: string;

  @ApiPropertyOptional({ example: '2026-11-24T00:00:00Z', description: 'Only tasks created strictly after this ISO 8601 instant.' })
  @IsOptional()
  @IsZonedInstant()
  created_after?: string;

  @ApiPropertyOptional({ example: '2026-11-25T00:00:00Z', description: 'Only tasks created strictly before this ISO 8601 instant.' })
  @IsOptional()
  @IsZonedInstant()
  created_before?: string;
}
