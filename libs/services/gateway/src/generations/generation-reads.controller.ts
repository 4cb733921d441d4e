import { Controller, Get, Headers, Inject, Param, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DomainError, invalidRequest } from '@darkroom/kernel';
import { GATEWAY_OPTIONS, publicBaseUrlOf, type GatewayOptions } from '../gateway.options';
import { ApiKeyGuard, type AuthenticatedRequest } from '../http/auth.guards';
import { GenerationListService } from './generation-list.service';
import { GenerationStreamService } from './generation-stream.service';
import { GenerationTimelineService } from './generation-timeline.service';
import { ListGenerationsQueryDto } from './list-generations.dto';
import { toTaskResource } from '@darkroom/read-model-generations';
import { TokenAccess } from '../tokens/token-access';

const EVENT_ID = /^\d{1,19}$/;

/** The id a status stream resumes after: the `Last-Event-ID` header (what EventSource sends) wins over `?last_event_id=`. */
function resumeId(header: unknown, query: unknown): bigint | undefined {
  const text = (value: unknown) => (typeof value === 'string' ? value.trim() : value === undefined ? '' : String(value));
  const value = text(header) || text(query) || undefined;
  if (value === undefined) return undefined;
  if (typeof query !== 'string' && query !== undefined) throw invalidResumeId();
  if (!EVENT_ID.test(value)) throw invalidResumeId();
  return BigInt(value);
}

function invalidResumeId(): DomainError {
  return invalidRequest([{ field: 'last_event_id', message: 'last_event_id must be the id of an event this stream sent' }]);
}

/** Reading tasks: the caller's list, one task's timeline, and its live status. */
@ApiTags('generations')
@ApiBearerAuth()
@Controller('v1/generations')
@UseGuards(ApiKeyGuard)
export class GenerationReadsController {
  constructor(
    private readonly list: GenerationListService,
    private readonly timeline: GenerationTimelineService,
    private readonly stream: GenerationStreamService,
    @Inject(GATEWAY_OPTIONS) private readonly options: GatewayOptions,
  ) {}

  /** The caller's tasks, newest first; `next_cursor` fetches the next page. */
  @Get()
  async index(@Req() request: AuthenticatedRequest, @Query() query: ListGenerationsQueryDto) {
    const page = await this.list.list(request.accountId, query);
    const baseUrl = publicBaseUrlOf(this.options);
    return {
      object: 'list',
      data: page.rows.map((row) => toTaskResource(row, baseUrl)),
      has_more: page.nextCursor !== null,
      next_cursor: page.nextCursor,
    };
  }

  /** Every event of the task across its generation, provider-job, asset and credit streams, in commit order. */
  @Get(':id/events')
  @TokenAccess('task')
  async events(@Req() request: AuthenticatedRequest, @Param('id') id: string) {
    return { object: 'list', data: await this.timeline.timeline(request.accountId, id) };
  }

  /**
   * Server-Sent Events: `generation.status` with the task at connect and at each status
   * change, ended after a terminal status; resumes after `Last-Event-ID`.
   */
  @Get(':id/stream')
  @TokenAccess('task')
  @ApiProduces('text/event-stream')
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume after this event id: nothing older is sent again.' })
  @ApiQuery({ name: 'last_event_id', required: false, description: 'As the Last-Event-ID header, for clients that cannot set headers.' })
  async open(
    @Req() request: AuthenticatedRequest,
    @Res() response: Response,
    @Param('id') id: string,
    @Headers('last-event-id') header?: unknown,
    @Query('last_event_id') query?: unknown,
  ): Promise<void> {
    await this.stream.open(request.accountId, id, resumeId(header, query), response, publicBaseUrlOf(this.options));
  }
}
