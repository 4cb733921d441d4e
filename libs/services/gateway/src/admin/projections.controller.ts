import { Controller, Get, HttpCode, Inject, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import type { Response } from 'express';
import type { Sql } from '@darkroom/database';
import { DomainError, type Clock } from '@darkroom/kernel';
import { RebuildInProgress, RebuildJobs, type ProjectionStatus, type RebuildJob } from '@darkroom/projections';
import { CLOCK, SQL } from '@darkroom/runtime';
import { AdminGuard } from '../http/auth.guards';
import { isUuid } from '../http/ids';

export class ChecksumQueryDto {
  @ApiPropertyOptional({ minimum: 0, maximum: 120, default: 30, description: 'Seconds to wait for the fresh rebuild before answering 202.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(120)
  wait?: number;
}

/** A finished verification younger than this answers a checksum request without a new one. */
const FRESH_MS = 60_000;
const POLL_MS = 250;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const isActive = (job: RebuildJob | undefined) => job !== undefined && ['requested', 'running', 'switching'].includes(job.state);

/**
 * Projection status, rebuilds and checksums. The work runs in the process that hosts the
 * projection; this controller only queues jobs and reads their state (decision 0015).
 */
@ApiTags('admin')
@ApiBearerAuth()
@Controller('admin/projections')
@UseGuards(AdminGuard)
export class ProjectionsController {
  private readonly jobs: RebuildJobs;

  constructor(
    @Inject(SQL) sql: Sql,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.jobs = new RebuildJobs(sql);
  }

  /** Every registered projection: checkpoint, lag and its latest rebuild or verification. */
  @Get()
  async list() {
    const statuses = await this.jobs.statuses();
    const data = await Promise.all(statuses.map(async (status) => toProjection(status, await this.jobs.latest(status.name))));
    return { object: 'list', data };
  }

  @Get(':name')
  async get(@Param('name') name: string) {
    const status = await this.status(name);
    return toProjection(status, await this.jobs.latest(name));
  }

  /** Queues a rebuild from position zero; 409 `rebuild_in_progress` while one is queued or running. */
  @Post(':name/rebuild')
  @HttpCode(202)
  async rebuild(@Param('name') name: string) {
    await this.status(name);
    try {
      return toJob(await this.jobs.request(name, 'rebuild'));
    } catch (error) {
      if (error instanceof RebuildInProgress) throw inProgress(name, await this.jobs.latest(name));
      throw error;
    }
  }

  @Get(':name/rebuilds/:id')
  async job(@Param('name') name: string, @Param('id') id: string) {
    const job = isUuid(id) ? await this.jobs.get(id) : undefined;
    if (!job || job.projection !== name) throw new DomainError('rebuild_not_found', 'not_found', `No rebuild ${id} of ${name}.`);
    return toJob(job);
  }

  /**
   * The checksum of the live tables and of a fresh rebuild at the same log position: joins a
   * running verification or starts one, and waits up to `wait` seconds for it (then 202 with
   * its progress; ask again to keep waiting).
   */
  @Get(':name/checksum')
  async checksum(@Param('name') name: string, @Query() query: ChecksumQueryDto, @Res({ passthrough: true }) response: Response) {
    await this.status(name);
    let job = await this.verification(name);
    const deadline = this.clock.now().getTime() + (query.wait ?? 30) * 1000;
    while (isActive(job) && this.clock.now().getTime() < deadline) {
      await sleep(POLL_MS);
      job = (await this.jobs.get(job.id)) ?? job;
    }
    if (job.state === 'failed') {
      throw new DomainError('rebuild_failed', 'internal', `The verification rebuild of ${name} failed: ${job.error}`, {
        rebuild: toJob(job),
      });
    }
    if (job.state !== 'completed' || !job.live || !job.rebuilt) {
      response.status(202).setHeader('Retry-After', '2');
      return { object: 'projection_checksum', projection: name, state: job.state, rebuild: toJob(job) };
    }
    return {
      object: 'projection_checksum',
      projection: name,
      state: job.state,
      match: job.live.checksum === job.rebuilt.checksum && job.live.rows === job.rebuilt.rows,
      live: job.live,
      rebuilt: job.rebuilt,
      position: job.position && { transaction_id: job.position.transactionId, global_position: job.position.globalPosition },
      computed_at: job.finishedAt?.toISOString() ?? null,
      rebuild: toJob(job),
    };
  }

  /** The verification to report: a running one, a fresh finished one, or a new one. */
  private async verification(name: string): Promise<RebuildJob> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const latest = await this.jobs.latest(name);
      if (isActive(latest)) {
        if (latest?.kind === 'rebuild') throw inProgress(name, latest);
        return latest as RebuildJob;
      }
      const verify = latest?.kind === 'verify' ? latest : undefined;
      if (verify?.finishedAt && this.clock.now().getTime() - verify.finishedAt.getTime() < FRESH_MS) return verify;
      try {
        return await this.jobs.request(name, 'verify');
      } catch (error) {
        if (!(error instanceof RebuildInProgress)) throw error;
      }
    }
    throw inProgress(name, await this.jobs.latest(name));
  }

  private async status(name: string): Promise<ProjectionStatus> {
    const [status] = await this.jobs.statuses(name);
    if (!status) throw new DomainError('projection_not_found', 'not_found', `No projection ${name}.`);
    return status;
  }
}

function inProgress(name: string, job: RebuildJob | undefined): DomainError {
  return new DomainError('rebuild_in_progress', 'conflict', `A rebuild of ${name} is already in progress.`, {
    rebuild: job ? toJob(job) : null,
  });
}

function toProjection(status: ProjectionStatus, latest: RebuildJob | undefined) {
  return {
    object: 'projection',
    name: status.name,
    tables: status.tables,
    event_types: status.eventTypes,
    host: status.host,
    heartbeat_at: status.heartbeatAt.toISOString(),
    checkpoint: status.checkpoint && {
      transaction_id: status.checkpoint.transactionId,
      global_position: status.checkpoint.globalPosition,
      updated_at: status.checkpoint.updatedAt.toISOString(),
    },
    lag: {
      events_behind: status.eventsBehind,
      last_batch_at: status.checkpoint?.updatedAt.toISOString() ?? null,
    },
    rebuild: latest ? toJob(latest) : null,
  };
}

export function toJob(job: RebuildJob) {
  const end = job.finishedAt ?? job.updatedAt;
  const seconds = job.startedAt ? (end.getTime() - job.startedAt.getTime()) / 1000 : 0;
  const rate = seconds > 0 ? job.eventsDone / seconds : null;
  const remaining = job.eventsTotal === null ? null : Math.max(0, job.eventsTotal - job.eventsDone);
  const running = job.state === 'running' || job.state === 'switching';
  return {
    id: job.id,
    object: 'projection_rebuild',
    projection: job.projection,
    kind: job.kind,
    state: job.state,
    events_done: job.eventsDone,
    events_total: job.eventsTotal,
    rate_per_second: rate === null ? null : Math.round(rate),
    eta_seconds: running && rate && remaining !== null ? Math.ceil(remaining / rate) : null,
    error: job.error,
    live: job.live,
    rebuilt: job.rebuilt,
    requested_at: job.requestedAt.toISOString(),
    started_at: job.startedAt?.toISOString() ?? null,
    finished_at: job.finishedAt?.toISOString() ?? null,
  };
}
