import { evaluateReadiness } from './readiness';

describe('evaluateReadiness', () => {
  it('is ready when every check is ok, and lists each', async () => {
    const readiness = await evaluateReadiness(
      { database: async () => ({ ok: true }), broker: async () => ({ ok: true, detail: 'in-process' }) },
      1000,
    );
    expect(readiness).toEqual({ status: 'ready', checks: { database: { ok: true }, broker: { ok: true, detail: 'in-process' } } });
  });

  it('is not ready when a check fails, throws or does not answer in time', async () => {
    const readiness = await evaluateReadiness(
      {
        database: async () => ({ ok: true }),
        broker: async () => ({ ok: false, detail: 'disconnected' }),
        bucket: async () => {
          throw new Error('connect ECONNREFUSED');
        },
        relay: () => new Promise(() => undefined),
      },
      50,
    );
    expect(readiness.status).toBe('not_ready');
    expect(readiness.checks).toEqual({
      database: { ok: true },
      broker: { ok: false, detail: 'disconnected' },
      bucket: { ok: false, detail: 'connect ECONNREFUSED' },
      relay: { ok: false, detail: 'no answer within 50 ms' },
    });
  });
});
