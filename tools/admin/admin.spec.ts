import { progressLine } from './admin';
import type { Job } from './admin-client';

const job = (overrides: Partial<Job>): Job => ({
  id: 'j',
  kind: 'rebuild',
  state: 'running',
  events_done: 0,
  events_total: null,
  rate_per_second: null,
  eta_seconds: null,
  error: null,
  live: null,
  rebuilt: null,
  ...overrides,
});

describe('progressLine', () => {
  it('fills the bar by events done out of the total, with rate and ETA while running', () => {
    const line = progressLine(job({ events_done: 520_000, events_total: 1_000_000, rate_per_second: 41_200, eta_seconds: 12 }), 10);
    expect(line).toBe('[#####.....]  52% 520,000/1,000,000 events  41,200/s  ETA 12s  running');
  });

  it('shows an unknown total before the host has counted the log', () => {
    expect(progressLine(job({ state: 'requested' }), 4)).toBe('[....]   0% 0/? events  requested');
  });

  it('is full once completed, without an ETA', () => {
    const line = progressLine(job({ state: 'completed', events_done: 10, events_total: 10, rate_per_second: 5, eta_seconds: null }), 4);
    expect(line).toBe('[####] 100% 10/10 events  5/s  completed');
  });
});
