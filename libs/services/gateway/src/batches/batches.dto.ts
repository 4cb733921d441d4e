import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsOptional, IsString, MaxLength, MinLength, ValidateNested } from 'class-validator';
import { CreateGenerationDto } from '../generations/create-generation.dto';

/** Most items one batch holds (the ledger's own limit too). */
export const MAX_BATCH_ITEMS = 1000;

/** One item of `POST /v1/batches`: a generation request and the client's own id for it. */
export class BatchItemDto extends CreateGenerationDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 64, example: 'row-17', description: 'Your id for the item, returned with it.' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  custom_id?: string;
}

/** Body of `POST /v1/batches`. */
export class CreateBatchDto {
  @ApiProperty({
    type: [BatchItemDto],
    minItems: 1,
    maxItems: MAX_BATCH_ITEMS,
    description: 'Each item is a `POST /v1/generations` body with an optional `custom_id`. The JSON body is limited to 4 MiB.',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BATCH_ITEMS)
  @ValidateNested({ each: true })
  @Type(() => BatchItemDto)
  items!: BatchItemDto[];
}
