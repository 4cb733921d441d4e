import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min, MinLength } from 'class-validator';

/** Body of `POST /v1/tokens`. */
export class CreateTokenDto {
  @ApiProperty({ minLength: 1, maxLength: 128, example: 'user_8412', description: 'The product’s own id for its end user; recorded on every task the token creates.' })
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  end_user_id!: string;

  @ApiPropertyOptional({ minimum: 60, maximum: 3600, default: 900, description: 'Seconds the token works (minutes, not days).' })
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(3600)
  expires_in?: number;

  @ApiPropertyOptional({ type: [String], maxItems: 50, example: ['local'], description: 'Models it may create generations on; default any the account may use.' })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  models?: string[];

  @ApiPropertyOptional({ minimum: 1, example: 4, description: 'Most credits one generation it creates may cost; default no cap but the balance.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  max_price?: number;

  @ApiPropertyOptional({ format: 'uuid', description: 'The one task of the account it may read and stream (it then creates nothing); default the tasks it creates.' })
  @IsOptional()
  @IsUUID('all')
  task_id?: string;
}
