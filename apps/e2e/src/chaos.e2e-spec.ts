import { localTarget, type ChaosTarget } from './support/chaos/chaos-target';
import { runSoak } from './support/chaos/soak';

/**
 * Issue 15, item 8: a short run of the chaos soak (`npm run chaos`) here — two instances of
 * every service, SIGKILLs, database and broker cuts and a stopped bucket every few seconds
 * while tasks of mixed outcomes arrive — ends with every invariant holding.
 */
jest.setTimeout(900_000);

let target: ChaosTarget | undefined;

afterAll(async () => {
  await target?.close();
});

it('keeps every invariant through kills, cuts and a stopped bucket', async () => {
  target = await localTarget(2);
  const report = await runSoak(target, {
    seconds: 20,
    rate: 3,
    accounts: 3,
    faultEverySeconds: 2,
    faults: ['kill', 'cut-database', 'cut-broker', 'stop-bucket'],
    outageMs: 2000,
    model: 'local',
    settleSeconds: 600,
  });
  console.log(`chaos soak: ${JSON.stringify(report)}`);
  expect(report.examples).toEqual([]);
  expect(report.violations).toBe(0);
  expect(report.tasks).toBe(60);
  expect(Object.values(report.faults).reduce((sum, n) => sum + n, 0)).toBeGreaterThanOrEqual(4);
  expect(report.completed).toBeGreaterThan(0);
});
