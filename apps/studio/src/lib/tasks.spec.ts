import type { Task, TaskStatus } from '../api/types';
import { elapsedMs, formatDuration, isTerminal, mergeTask } from './tasks';

const task = (id: string, status: TaskStatus, overrides: Partial<Task> = {}): Task =>
  ({
    id,
    status,
    model: 'local',
    prompt: `prompt ${id}`,
    created_at: '2026-11-24T10:00:00.000Z',
    completed_at: null,
    failed_at: null,
    canceled_at: null,
    ...overrides,
  }) as Task;

describe('mergeTask', () => {
  it('puts a new task first, newest created first', () => {
    const older = task('a', 'completed', { created_at: '2026-11-24T09:00:00.000Z' });
    const merged = mergeTask([older], task('b', 'created'));
    expect(merged.map((item) => item.id)).toEqual(['b', 'a']);
  });

  it('moves a task forward and never back to an earlier status', () => {
    const list = [task('a', 'processing')];
    expect(mergeTask(list, task('a', 'completed'))[0]!.status).toBe('completed');
    expect(mergeTask(list, task('a', 'queued'))[0]!.status).toBe('processing');
  });

  it('keeps a terminal task as it ended, whatever a late answer says', () => {
    const canceled = [task('a', 'canceled')];
    expect(mergeTask(canceled, task('a', 'completed'))[0]!.status).toBe('canceled');
    expect(mergeTask(canceled, task('a', 'processing'))[0]!.status).toBe('canceled');
  });

  it('takes a newer look at the same status (attempts, assets)', () => {
    const merged = mergeTask([task('a', 'processing', { attempts: 1 })], task('a', 'processing', { attempts: 2 }));
    expect(merged[0]!.attempts).toBe(2);
  });
});

describe('elapsed time', () => {
  it('runs until now while the task runs, and stops at its end', () => {
    const now = Date.parse('2026-11-24T10:00:12.500Z');
    expect(elapsedMs(task('a', 'processing'), now)).toBe(12_500);
    expect(elapsedMs(task('a', 'failed', { failed_at: '2026-11-24T10:00:03.000Z' }), now)).toBe(3_000);
  });

  it('reads as seconds, minutes or hours', () => {
    expect(formatDuration(840)).toBe('0.8 s');
    expect(formatDuration(12_400)).toBe('12 s');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
    expect(formatDuration(3_780_000)).toBe('1 h 3 min');
  });

  it('knows the terminal statuses', () => {
    expect(['created', 'queued', 'processing', 'completed', 'failed', 'canceled'].filter((status) => isTerminal(status as TaskStatus))).toEqual([
      'completed',
      'failed',
      'canceled',
    ]);
  });
});
