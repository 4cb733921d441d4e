import { systemClock } from '@darkroom/kernel';
import type { ModelCatalog } from '@darkroom/providers';
import type { ProviderRegistry } from '../provider-registry';
import type { JobRunner } from './job-runner';
import type { ProviderJobRow } from './provider-job-row';
import type { ProviderJobsRepository } from './provider-jobs.repository';
import { ProviderWorker } from './provider-worker';

const row = { taskId: 't-1', provider: 'local', phase: 'submit', attempt: 1 } as ProviderJobRow;

function workerWith(run: () => Promise<void>, drainMs = 1000) {
  const repo = {
    due: jest.fn(async () => [{ provider: 'local', phase: 'submit' }]),
    claim: jest.fn(async () => [row]),
    renew: jest.fn(async () => undefined),
    release: jest.fn(async () => undefined),
  };
  const runner = { run: jest.fn(run), warn: jest.fn() };
  const catalog = { providerLimits: () => ({ concurrency: 4 }) } as unknown as ModelCatalog;
  const registry = { names: () => ['local'] } as unknown as ProviderRegistry;
  const worker = new ProviderWorker(repo as unknown as ProviderJobsRepository, runner as unknown as JobRunner, catalog, registry, {
    owner: 'me',
    idleMs: 60_000,
    leaseMs: 90,
    drainMs,
    maxInFlight: 8,
    clock: systemClock,
  });
  return { worker, repo, runner };
}

describe('ProviderWorker', () => {
  it('renews the leases of the rows it runs, never runs a row it holds twice, and hands back what outlives the drain', async () => {
    const { worker, repo, runner } = workerWith(() => new Promise<void>(() => undefined));
    worker.onApplicationBootstrap();
    await worker.tick(); // the same row claimed again: its lease had run out while the call ran
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(runner.run).toHaveBeenCalledTimes(1);
    expect(repo.renew).toHaveBeenCalledWith(['t-1'], 'me', 90);

    await worker.beforeApplicationShutdown();
    expect(repo.release).toHaveBeenCalledWith('t-1', 'me', 0);
    worker.onApplicationShutdown();
  });

  it('lets a call that ends within the drain record, and hands nothing back', async () => {
    const { worker, repo } = workerWith(() => new Promise<void>((resolve) => setTimeout(resolve, 50)));
    worker.onApplicationBootstrap();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await worker.beforeApplicationShutdown();
    expect(repo.release).not.toHaveBeenCalled();
    worker.onApplicationShutdown();
  });
});
