import { timingSafeEqual } from 'node:crypto';
import { Controller, Get, Header, Inject, Optional, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DarkroomMetrics } from '@darkroom/observability';

/** The bearer token `/metrics` asks for (`METRICS_TOKEN`); none: the endpoint is open. */
export const METRICS_TOKEN = Symbol('METRICS_TOKEN');

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer (.+)$/i.exec(header ?? '')?.[1] ?? '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** `GET /metrics`: this process's registry in the Prometheus text format. */
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: DarkroomMetrics,
    @Optional() @Inject(METRICS_TOKEN) private readonly token?: string,
  ) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  async scrape(@Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<string> {
    if (this.token && !bearerMatches(request.headers.authorization, this.token)) {
      response.status(401).setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
      response.type('text/plain');
      return 'A bearer token (METRICS_TOKEN) is required.\n';
    }
    const { contentType, body } = await this.metrics.scrape();
    response.type(contentType);
    return body;
  }
}
