import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { Readiness } from '@darkroom/observability';
import { ReadinessService } from './readiness.service';

/** Probes for orchestrators: `live` while the process runs, `ready` while it can do its work. */
@Controller('health')
export class HealthController {
  constructor(private readonly readiness: ReadinessService) {}

  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /** 200 when every check passes, 503 otherwise; the body lists every check either way. */
  @Get('ready')
  async ready(@Res({ passthrough: true }) response: Response): Promise<Readiness> {
    const readiness = await this.readiness.readiness();
    response.status(readiness.status === 'ready' ? 200 : 503);
    return readiness;
  }
}
