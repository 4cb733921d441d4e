import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsIn, IsOptional, IsString, IsUUID, MaxLength, MinLength } from 'class-validator';
import { TASK_WEBHOOK_EVENT_TYPES, WEBHOOK_EVENT_TYPES, type TaskWebhookEventType, type WebhookEventType } from '@darkroom/contracts';
import { PageLimit } from '../http/page-limit';

/** Where events go: a URL checked as an endpoint's is (SSRF rules at registration and at every connect). */
class WebhookTargetDto {
  @ApiProperty({ description: 'Where darkroom POSTs events: an https URL on a public address.', example: 'https://example.com/hooks/darkroom' })
  @IsString()
  @MinLength(1)
  @MaxLength(2048)
  url!: string;
}

/** A request's own webhook (`webhook` on `POST /v1/generations`): its task's terminal events only. */
export class RequestWebhookDto extends WebhookTargetDto {
  @ApiPropertyOptional({ enum: TASK_WEBHOOK_EVENT_TYPES, isArray: true, description: 'Event types to receive; default all of the task’s.' })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(TASK_WEBHOOK_EVENT_TYPES.length)
  @IsIn(TASK_WEBHOOK_EVENT_TYPES, { each: true })
  events?: TaskWebhookEventType[];
}

/** Body of `POST /v1/webhook_endpoints`. */
export class CreateWebhookEndpointDto extends WebhookTargetDto {
  @ApiPropertyOptional({ enum: WEBHOOK_EVENT_TYPES, isArray: true, description: 'Event types to receive; default all.' })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length)
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true })
  events?: WebhookEventType[];

  @ApiPropertyOptional({ description: 'A note for the account’s own use.', maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;
}

/** Query of `GET /v1/webhook_endpoints/{id}/deliveries`. */
export class ListDeliveriesQuery {
  @PageLimit('Deliveries per page, newest first.')
  limit?: number;

  @ApiPropertyOptional({ description: 'Cursor: the id of the last delivery of the previous page.' })
  @IsOptional()
  @IsUUID('all')
  starting_after?: string;
}
