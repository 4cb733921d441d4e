import { epochMs, systemClock } from '@darkroom/kernel';

/**
 * Wraps `work` so that its result is reused for `ttlMs` after it settles, and callers that
 * arrive while it runs share the run: probes stay cheap however often they are polled.
 */
export function cachedFor<T>(ttlMs: number, work: () => Promise<T>, now: () => number = epochMs(systemClock)): () => Promise<T> {
  let last: { readonly at: number; readonly value: T } | undefined;
  let running: Promise<T> | undefined;
  return () => {
    if (last && now() - last.at < ttlMs) return Promise.resolve(last.value);
    running ??= work()
      .then((value) => {
        last = { at: now(), value };
        return value;
      })
      .finally(() => (running = undefined));
    return running;
  };
}
