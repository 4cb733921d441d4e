import { hostname } from 'node:os';
import { Module, type DynamicModule } from '@nestjs/common';
import type { Sql } from '@darkroom/database';
import type { CommitSignal } from '@darkroom/event-store';
import { newId, type Clock } from '@darkroom/kernel';
import { DarkroomMetrics } from '@darkroom/observability';
import type { ObjectStorage } from '@darkroom/object-storage';
import { ModelCatalog, type ImageProvider, type Moderation } from '@darkroom/providers';
import { CLOCK, COMMIT_SIGNAL, OBJECT_STORAGE, SQL } from '@darkroom/runtime';
import { ProviderAdapterHandlers } from './provider-adapter.handlers';
import { ProviderRegistry } from './provider-registry';
import { JobRunner } from './work/job-runner';
import { ProviderJobsRepository } from './work/provider-jobs.repository';
import { ProviderWorker } from './work/provider-worker';

export interface ProviderAdapterOptions {
  readonly catalog: ModelCatalog;
  /** The configured providers (the local renderer and every remote one with a key). */
  readonly providers: readonly ImageProvider[];
  /** darkroom's public base URL for provider callbacks; undefined → poll only. */
  readonly webhookBaseUrl?: string;
  /** Providers whose callbacks can be verified with what is configured. */
  readonly webhookProviders: readonly string[];
  /** Longest a single provider HTTP call may take. */
  readonly requestTimeoutMs: number;
  /** darkroom's own prompt check, run before any provider call (`providerSetup(env).moderation`). */
  readonly moderation: Moderation;
  /** Pause between claim rounds when idle (default 250 ms). */
  readonly idleMs?: number;
  /** Provider calls at once in this process (default 64). */
  readonly maxInFlight?: number;
  /** On SIGTERM, how long calls in flight may finish before their jobs are handed back (default 20 s). */
  readonly drainMs?: number;
}

/**
 * A claimed job's lease, renewed while its call runs: a dead instance's jobs are taken over,
 * and its concurrency slots freed, within this long.
 */
const LEASE_MS = 6000;

@Module({})
export class ProviderAdapterModule {
  static register(options: ProviderAdapterOptions): DynamicModule {
    return {
      module: ProviderAdapterModule,
      controllers: [ProviderAdapterHandlers],
      providers: [
        { provide: ModelCatalog, useValue: options.catalog },
        { provide: ProviderRegistry, useValue: new ProviderRegistry(options.providers) },
        { provide: ProviderJobsRepository, inject: [SQL], useFactory: (sql: Sql) => new ProviderJobsRepository(sql) },
        {
          provide: JobRunner,
          inject: [SQL, OBJECT_STORAGE, CLOCK, ModelCatalog, ProviderRegistry, DarkroomMetrics],
          useFactory: (
            sql: Sql,
            objects: ObjectStorage,
            clock: Clock,
            catalog: ModelCatalog,
            registry: ProviderRegistry,
            metrics: DarkroomMetrics,
          ) =>
            new JobRunner(sql, objects, clock, catalog, registry, {
              webhookBaseUrl: options.webhookBaseUrl,
              webhookProviders: new Set(options.webhookProviders),
              moderation: options.moderation,
              metrics,
            }),
        },
        {
          provide: ProviderWorker,
          inject: [ProviderJobsRepository, JobRunner, ModelCatalog, ProviderRegistry, CLOCK, { token: COMMIT_SIGNAL, optional: true }],
          useFactory: (
            repo: ProviderJobsRepository,
            runner: JobRunner,
            catalog: ModelCatalog,
            registry: ProviderRegistry,
            clock: Clock,
            commits?: CommitSignal,
          ) =>
            new ProviderWorker(repo, runner, catalog, registry, {
              owner: `${hostname()}:${process.pid}:${newId().slice(0, 8)}`,
              idleMs: options.idleMs ?? 250,
              leaseMs: LEASE_MS,
              drainMs: options.drainMs ?? 20_000,
              maxInFlight: options.maxInFlight ?? 64,
              clock,
              commits,
            }),
        },
      ],
    };
  }
}
