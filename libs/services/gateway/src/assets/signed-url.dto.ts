import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** Query of `GET /v1/assets/{id}/signed_url`. */
export class SignedUrlQuery {
  @ApiPropertyOptional({ minimum: 60, maximum: 604800, description: 'Seconds the URL works; default `SIGNED_ASSET_URL_TTL_SECONDS` (3600).' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(60)
  @Max(604800)
  expires_in?: number;
}
