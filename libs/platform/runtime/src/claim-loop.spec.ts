import { describe, expect, it } from '@jest/globals';
import { ClaimLoop } from './claim-loop';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A round that reports `work` items until they run out, recording overlaps. */
function counter(work: number, roundMs = 0) {
  const state = { rounds: 0, active: 0, overlapped: false, left: work };
  const round = async () => {
    state.rounds += 1;
    state.active += 1;
    state.overlapped ||= state.active > 1;
    await sleep(roundMs);
    state.active -= 1;
    const done = Math.min(state.left, 1);
    state.left -= done;
    return done;
  };
  return { state, round };
}

describe('ClaimLoop', () => {
  it('claims again right away while rounds find work, then waits idleMs', async () => {
    const { state, round } = counter(5);
    const loop = new ClaimLoop(round, { idleMs: 10_000, onError: () => undefined });
    loop.start();
    await sleep(100);
    await loop.stop();
    expect(state.rounds).toBe(6); // five with work, one that found none, then the idle pause
  });

  it('pauses busyMs after a round that did work', async () => {
    const { state, round } = counter(5);
    const loop = new ClaimLoop(round, { idleMs: 10_000, busyMs: 10_000, onError: () => undefined });
    loop.start();
    await sleep(50);
    await loop.stop();
    expect(state.rounds).toBe(1);
  });

  it('never runs two rounds at once, however often it is woken', async () => {
    const { state, round } = counter(3, 20);
    const loop = new ClaimLoop(round, { idleMs: 10_000, onError: () => undefined });
    loop.start();
    for (let i = 0; i < 20; i += 1) {
      loop.wake();
      await sleep(5);
    }
    await loop.stop();
    expect(state.overlapped).toBe(false);
    expect(state.rounds).toBeGreaterThanOrEqual(4);
  });

  it('wakes sooner than the idle pause when asked', async () => {
    const { state, round } = counter(0);
    const loop = new ClaimLoop(round, { idleMs: 10_000, onError: () => undefined });
    loop.start();
    await sleep(20);
    expect(state.rounds).toBe(1);
    loop.wake(5);
    await sleep(50);
    await loop.stop();
    expect(state.rounds).toBe(2);
  });

  it('reports a failed round and carries on after idleMs', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const loop = new ClaimLoop(
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('database down');
        return 0;
      },
      { idleMs: 20, onError: (error) => errors.push(error) },
    );
    loop.start();
    await sleep(100);
    await loop.stop();
    expect(errors).toEqual([new Error('database down')]);
    expect(calls).toBeGreaterThanOrEqual(2);
  });

  it('stop waits for the running round and starts no other', async () => {
    const { state, round } = counter(10, 50);
    const loop = new ClaimLoop(round, { idleMs: 0, onError: () => undefined });
    loop.start();
    await sleep(10);
    await loop.stop();
    expect(state.active).toBe(0);
    const rounds = state.rounds;
    loop.wake();
    await sleep(30);
    expect(state.rounds).toBe(rounds);
  });

  it('waits delayMs before its first round', async () => {
    const { state, round } = counter(0);
    const loop = new ClaimLoop(round, { idleMs: 10_000, onError: () => undefined });
    loop.start(40);
    await sleep(15);
    expect(state.rounds).toBe(0);
    await sleep(60);
    await loop.stop();
    expect(state.rounds).toBe(1);
  });
});
