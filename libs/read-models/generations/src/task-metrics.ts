import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { generationStream, type GenerationCompleted, type GenerationEvent, type GenerationFailed } from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';
import type { EventStore } from '@darkroom/event-store';
import { DarkroomMetrics } from '@darkroom/observability';
import { SQL } from '@darkroom/runtime';

type Terminal = GenerationCompleted | GenerationFailed;

/**
 * Task metrics: `darkroom_tasks{status}` counted from the `generations` read model at
 * scrape (in every process hosting the gateway or the generation service), and
 * `darkroom_task_duration_seconds` observed where the generation service decides a task's
 * end (completed or failed; cancellations are not timed).
 */
@Injectable()
export class TaskMetrics implements OnModuleInit {
  private readonly logger = new Logger(TaskMetrics.name);

  constructor(
    @Inject(SQL) private readonly sql: Sql,
    private readonly metrics: DarkroomMetrics,
  ) {}

  onModuleInit(): void {
    this.metrics.scrapeGauge('darkroom_tasks', 'Tasks by status, from the generations read model.', ['status'], async (set) => {
      const { rows } = await this.sql.query<{ status: string; tasks: number }>(
        `SELECT status, count(*)::int AS tasks FROM generations GROUP BY status`,
      );
      for (const status of ['created', 'queued', 'processing', 'completed', 'failed', 'canceled']) set({ status }, 0);
      for (const row of rows) set({ status: row.status }, row.tasks);
    });
  }

  /**
   * Times a task that `events` (just decided for it) ended, from its creation; reads the
   * stream for the model and the provider of the last attempt. Never fails the caller.
   */
  async observeEnd(store: EventStore, taskId: string, events: readonly { readonly type: string }[]): Promise<void> {
    const end = events.find((event): event is Terminal => event.type === 'GenerationCompleted' || event.type === 'GenerationFailed');
    if (!end) return;
    try {
      const stream = await store.readStream<GenerationEvent>(generationStream(taskId));
      const created = stream.find((event) => event.type === 'GenerationCreated')?.data;
      if (!created) return;
      const processing = stream.filter((event) => event.type === 'GenerationProcessing');
      const provider = processing[processing.length - 1]?.data.provider ?? 'none';
      const endedAt = end.type === 'GenerationCompleted' ? end.data.completedAt : end.data.failedAt;
      const seconds = Math.max(0, (Date.parse(endedAt) - Date.parse(created.createdAt)) / 1000);
      const status = end.type === 'GenerationCompleted' ? 'completed' : 'failed';
      this.metrics.taskDuration.observe({ model: created.request.model, provider, status }, seconds);
    } catch (error) {
      this.logger.warn(`task ${taskId} (correlation ${taskId}): duration not recorded: ${String(error)}`);
    }
  }
}
