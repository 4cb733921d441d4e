import { Inject, Injectable, Module, type DynamicModule } from '@nestjs/common';
import type { Sql } from '@darkroom/database';
import type { EventStore } from '@darkroom/event-store';
import type { Clock } from '@darkroom/kernel';
import { ModelCatalog } from '@darkroom/providers';
import { CLOCK, EVENT_STORE, PLATFORM, ProjectionHost, SQL, type Platform } from '@darkroom/runtime';
import { DeadlineSweeper } from './deadline-sweeper';
import { CIRCUIT_POLICY, GenerationHandlers } from './generation.handlers';
import type { CircuitPolicy } from '@darkroom/domain-generation';
import { CircuitMetrics, generationProjection, TaskMetrics } from '@darkroom/read-model-generations';

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
  /** Circuit breakers per (provider, model) (decision 0025); defaults: 5 failures in 60 s open one for 30 s. */
  readonly circuit?: CircuitPolicy;
}

const DEFAULT_CIRCUIT: CircuitPolicy = { threshold: 5, windowSeconds: 60, cooldownSeconds: 30 };

@Module({})
export class GenerationModule {
  static register(options: GenerationOptions): DynamicModule {
    return {
      module: GenerationModule,
      controllers: [GenerationHandlers],
      providers: [
        GenerationProjections,
        TaskMetrics,
        CircuitMetrics,
        { provide: CIRCUIT_POLICY, useValue: options.circuit ?? DEFAULT_CIRCUIT },
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
