import { DarkroomMetrics } from './darkroom-metrics';
import { parseMetrics, sampleValue } from './metrics-text';

const metrics = () => new DarkroomMetrics('test', { defaultMetrics: false });

describe('DarkroomMetrics', () => {
  it('labels every series with the service and names its own metrics darkroom_*', async () => {
    const m = metrics();
    m.taskDuration.observe({ model: 'local', provider: 'local', status: 'completed' }, 1.5);
    const { body, contentType } = await m.scrape();
    expect(contentType).toContain('text/plain');
    const labels = { service: 'test', model: 'local', provider: 'local', status: 'completed' };
    expect(sampleValue(parseMetrics(body), 'darkroom_task_duration_seconds_count', labels)).toBe(1);
    expect(sampleValue(parseMetrics(body), 'darkroom_task_duration_seconds_sum', labels)).toBe(1.5);
    expect(sampleValue(parseMetrics(body), 'darkroom_task_duration_seconds_bucket', { ...labels, le: '2' })).toBe(1);
    expect(sampleValue(parseMetrics(body), 'darkroom_task_duration_seconds_bucket', { ...labels, le: '1' })).toBe(0);
  });

  it('computes a scrape gauge at every scrape, replacing the previous values', async () => {
    const m = metrics();
    let rows: [string, number][] = [['completed', 2], ['failed', 1]];
    m.scrapeGauge('darkroom_tasks', 'Tasks by status.', ['status'], async (set) => {
      for (const [status, count] of rows) set({ status }, count);
    });
    const first = parseMetrics((await m.scrape()).body);
    expect(sampleValue(first, 'darkroom_tasks', { service: 'test', status: 'failed' })).toBe(1);
    rows = [['completed', 3]];
    const second = parseMetrics((await m.scrape()).body);
    expect(sampleValue(second, 'darkroom_tasks', { status: 'completed' })).toBe(3);
    expect(sampleValue(second, 'darkroom_tasks', { status: 'failed' })).toBeUndefined();
  });

  it('keeps the first registration of a gauge name and counts a failing source', async () => {
    const m = metrics();
    m.scrapeGauge('darkroom_x', 'x', [], async (set) => set({}, 1));
    m.scrapeGauge('darkroom_x', 'x', [], async (set) => set({}, 2));
    m.scrapeGauge('darkroom_y', 'y', [], async () => {
      throw new Error('database down');
    });
    await m.scrape(); // the error counter is written before the failing gauge runs: seen from the next scrape on
    const samples = parseMetrics((await m.scrape()).body);
    expect(sampleValue(samples, 'darkroom_x')).toBe(1);
    expect(sampleValue(samples, 'darkroom_scrape_errors_total', { source: 'darkroom_y' })).toBe(1);
  });

  it('times provider calls by outcome and counts their errors by code', async () => {
    const m = metrics();
    await m.timeProviderCall('local', 'submit', async () => 'ok');
    await m.timeProviderCall('local', 'submit', async () => 'bad', () => ({ outcome: 'failed', errorCode: 'provider_error' }));
    await expect(m.timeProviderCall('local', 'poll', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const samples = parseMetrics((await m.scrape()).body);
    const calls = 'darkroom_provider_request_duration_seconds_count';
    expect(sampleValue(samples, calls, { provider: 'local', operation: 'submit', outcome: 'ok' })).toBe(1);
    expect(sampleValue(samples, calls, { provider: 'local', operation: 'submit', outcome: 'failed' })).toBe(1);
    expect(sampleValue(samples, calls, { provider: 'local', operation: 'poll', outcome: 'error' })).toBe(1);
    expect(sampleValue(samples, 'darkroom_provider_errors_total', { provider: 'local', code: 'provider_error' })).toBe(1);
    expect(sampleValue(samples, 'darkroom_provider_errors_total', { provider: 'local', code: 'exception' })).toBe(1);
  });
});
