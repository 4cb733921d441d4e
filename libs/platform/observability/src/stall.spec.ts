import { isStalled, stallThresholdMs } from './stall';

const at = (ms: number) => new Date(ms);

describe('isStalled', () => {
  it('is false for a loop waiting for another instance’s lock, however long', () => {
    expect(isStalled({ active: false, lastTickAt: at(0) }, at(1_000_000), 1000)).toBe(false);
  });

  it('is false while the last round is within the threshold', () => {
    expect(isStalled({ active: true, lastTickAt: at(5000), since: at(0) }, at(5900), 1000)).toBe(false);
  });

  it('is true for an active loop whose last round is older than the threshold', () => {
    expect(isStalled({ active: true, lastTickAt: at(5000), since: at(0) }, at(6001), 1000)).toBe(true);
  });

  it('judges a loop that never finished a round from when it became active', () => {
    expect(isStalled({ active: true, since: at(0) }, at(500), 1000)).toBe(false);
    expect(isStalled({ active: true, since: at(0) }, at(1500), 1000)).toBe(true);
  });

  it('allows N poll intervals, never less than the floor', () => {
    expect(stallThresholdMs(100)).toBe(15_000);
    expect(stallThresholdMs(1000)).toBe(50_000);
  });
});
