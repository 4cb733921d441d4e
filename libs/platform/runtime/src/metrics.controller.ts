import { Controller, Get, Header, Res } from '@nestjs/common';
import type { Response } from 'express';
import { DarkroomMetrics } from '@darkroom/observability';

/** `GET /metrics`: this process's registry in the Prometheus text format. */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: DarkroomMetrics) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  async scrape(@Res({ passthrough: true }) response: Response): Promise<string> {
    const { contentType, body } = await this.metrics.scrape();
    response.type(contentType);
    return body;
  }
}
