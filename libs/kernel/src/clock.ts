export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** The clock as a `() => epoch milliseconds` reader, for code that counts in milliseconds. */
export const epochMs =
  (clock: Clock): (() => number) =>
  () =>
    clock.now().getTime();
