import { cachedFor } from './cached';

describe('cachedFor', () => {
  it('reuses a result within the window and runs again after it', async () => {
    let clock = 0;
    let runs = 0;
    const probe = cachedFor(1000, async () => ++runs, () => clock);
    expect(await probe()).toBe(1);
    clock = 999;
    expect(await probe()).toBe(1);
    clock = 2000;
    expect(await probe()).toBe(2);
  });

  it('lets callers that arrive during a run share it', async () => {
    let runs = 0;
    let release: () => void = () => undefined;
    const probe = cachedFor(1000, async () => {
      runs++;
      await new Promise<void>((resolve) => (release = resolve));
      return runs;
    });
    const both = Promise.all([probe(), probe()]);
    release();
    expect(await both).toEqual([1, 1]);
    expect(runs).toBe(1);
  });

  it('does not keep a failure: the next call runs again', async () => {
    let runs = 0;
    const probe = cachedFor(1000, async () => {
      if (++runs === 1) throw new Error('down');
      return runs;
    });
    await expect(probe()).rejects.toThrow('down');
    expect(await probe()).toBe(2);
  });
});
