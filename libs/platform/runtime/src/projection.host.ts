import { Logger } from '@nestjs/common';
import { ProjectionRunner, type RowProjection } from '@darkroom/projections';
import type { Platform } from './platform';

/** Starts one runner per projection with the app and stops it on shutdown. */
export class ProjectionHost {
  private readonly logger = new Logger(ProjectionHost.name);
  readonly runners: readonly ProjectionRunner<unknown>[];

  constructor(platform: Platform, projections: readonly RowProjection<never>[]) {
    this.runners = projections.map(
      (projection) =>
        new ProjectionRunner(platform.sql, projection as RowProjection<unknown>, {
          pollIntervalMs: platform.pollIntervalMs,
          onError: (error) => this.logger.error(`projection ${projection.name}: ${String(error)}`),
        }),
    );
  }

  onApplicationBootstrap(): void {
    for (const runner of this.runners) runner.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.runners.map((runner) => runner.stop()));
  }
}
