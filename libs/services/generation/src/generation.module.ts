import { Inject, Injectable, Module, type DynamicModule } from '@nestjs/common';
import type { Sql } from '@darkroom/database';
import type { EventStore } from '@darkroom/event-store';
import type { Clock } from '@darkroom/kernel';
import { ModelCatalog } from '@darkroom/providers';
import { CLOCK, EVENT_STORE, PLATFORM, ProjectionHost, SQL, type Platform } from '@darkroom/runtime';
import { DeadlineSweeper } from './deadline-sweeper';
import { GenerationHandlers } from './generation.handlers';
import { generationProjection, TaskMetrics } from '@darkroom/read-model-generations';

@Injectable()
class GenerationProjections extends ProjectionHost {
  constructor(@Inject(PLATFORM) platform: Platform) {
    super(platform, [generationProjection]);
  }
}

export interface GenerationOptions {
  readonly catalog: ModelCatalog;
  /** How often the deadline sweeper looks for overdue tasks (default 5 s). */
  readonly sweepIntervalMs?: number;
}

@Module({})
export class GenerationModule {
  static register(options: GenerationOptions): DynamicModule {
    return {
      module: GenerationModule,
      controllers: [GenerationHandlers],
      providers: [
        GenerationProjections,
        TaskMetrics,
        { provide: ModelCatalog, useValue: options.catalog },
        {
          provide: DeadlineSweeper,
          inject: [SQL, EVENT_STORE, CLOCK, TaskMetrics],
          useFactory: (sql: Sql, store: EventStore, clock: Clock, metrics: TaskMetrics) =>
            new DeadlineSweeper(sql, store, clock, options.sweepIntervalMs ?? 5000, (taskId, events) =>
              metrics.observeEnd(store, taskId, events),
            ),
        },
      ],
    };
  }
}
