import type { Task, TaskStatus } from '../api/types';

const TERMINAL: ReadonlySet<TaskStatus> = new Set(['completed', 'failed', 'canceled']);

export const isTerminal = (status: TaskStatus): boolean => TERMINAL.has(status);

const RANK: Record<TaskStatus, number> = { created: 0, queued: 1, processing: 2, completed: 3, failed: 3, canceled: 3 };

/**
 * Folds a newer look at a task into the list (newest first). Answers can arrive out of order
 * (a stream event, a poll, a replayed POST): a task never goes back to an earlier status, and
 * a terminal one stays as it ended.
 */
export function mergeTask(tasks: readonly Task[], incoming: Task): Task[] {
  const index = tasks.findIndex((task) => task.id === incoming.id);
  if (index === -1) return [incoming, ...tasks].sort((a, b) => b.created_at.localeCompare(a.created_at));
  const current = tasks[index]!;
  if (RANK[incoming.status] < RANK[current.status]) return [...tasks];
  if (isTerminal(current.status) && current.status !== incoming.status) return [...tasks];
  const next = [...tasks];
  next[index] = incoming;
  return next;
}

/** When the task stopped running, or undefined while it runs. */
export const endedAt = (task: Task): string | undefined => task.completed_at ?? task.failed_at ?? task.canceled_at ?? undefined;

/** Milliseconds from creation to the end, or to `now` while the task runs. */
export function elapsedMs(task: Task, now: number): number {
  const end = endedAt(task);
  return Math.max(0, (end ? Date.parse(end) : now) - Date.parse(task.created_at));
}

/** "0.8 s", "12 s", "2 min 5 s", "1 h 3 min". */
export function formatDuration(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

const LABELS: Record<TaskStatus, string> = {
  created: 'Created',
  queued: 'Queued',
  processing: 'Processing',
  completed: 'Completed',
  failed: 'Failed',
  canceled: 'Canceled',
};

export const statusLabel = (status: TaskStatus): string => LABELS[status];

const CREDIT_STATES: Readonly<Record<string, string>> = {
  pending: 'pending',
  reserved: 'reserved',
  rejected: 'not charged',
  captured: 'charged',
  released: 'returned',
};

/** What happened to the task's credits, in the words of the Credits page. */
export const creditStateLabel = (state: string): string => CREDIT_STATES[state] ?? state;
