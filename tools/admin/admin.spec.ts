import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checksumReport, progressLine } from './admin';
import type { Job } from './admin-client';
import { findTarget, table } from './admin-target';

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

describe('checksumReport', () => {
  it('says match when the live and rebuilt tables agree, in a table', () => {
    const report = checksumReport({ checksum: 'abc', rows: 3 }, { checksum: 'abc', rows: 3 }, '42');
    expect(report.split('\n')).toEqual([
      'TABLE    CHECKSUM  ROWS',
      '-------  --------  ----',
      'live     abc          3',
      'rebuilt  abc          3',
      'match: the live table equals a rebuild from the log (at global position 42)',
      '',
    ]);
  });

  it('says MISMATCH plainly when they differ', () => {
    expect(checksumReport({ checksum: 'abc', rows: 3 }, { checksum: 'abd', rows: 3 })).toContain(
      'MISMATCH: the live table differs from a rebuild from the log',
    );
  });
});

describe('findTarget', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'admin-target-'));

  it('finds a running embedded instance and its admin key in the data folder', () => {
    const data = dir();
    writeFileSync(join(data, 'instance.json'), JSON.stringify({ url: 'http://127.0.0.1:4321', pid: process.pid }));
    writeFileSync(join(data, 'dev-credentials.json'), JSON.stringify({ adminKey: 'adm_embedded' }));
    expect(findTarget({}, { DARKROOM_DATA_DIR: data })).toEqual({
      url: 'http://127.0.0.1:4321',
      key: 'adm_embedded',
      source: `the embedded instance in ${data}`,
    });
  });

  it('prefers flags, then the environment, and ignores the file of an instance that has stopped', () => {
    const data = dir();
    writeFileSync(join(data, 'instance.json'), JSON.stringify({ url: 'http://127.0.0.1:4321', pid: 2 ** 22 + 1 }));
    expect(findTarget({}, { DARKROOM_DATA_DIR: data }).url).toBe('http://127.0.0.1:3000');
    expect(findTarget({ key: 'k' }, { DARKROOM_DATA_DIR: data, DARKROOM_URL: 'http://gw:1', ADMIN_API_KEY: 'e' })).toEqual({
      url: 'http://gw:1',
      key: 'k',
      source: 'the command line and environment',
    });
  });
});

describe('table', () => {
  it('aligns columns under upper-case headers, numbers to the right', () => {
    expect(table([{ name: 'generations', behind: 0 }, { name: 'x', behind: 1200 }], ['name', 'behind'])).toBe(
      ['NAME         BEHIND', '-----------  ------', 'generations       0', 'x              1200'].join('\n'),
    );
  });
});
