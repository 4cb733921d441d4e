import type { Task } from '../api/types';

/** Each stable failure code of the API in plain words, with what happened to the credits. */
const REASONS: Readonly<Record<string, string>> = {
  insufficient_credits: 'Not enough credits for this task. Nothing was charged.',
  spend_cap_reached: 'This task would go over a spend cap. Nothing was charged.',
  content_moderated: 'The image was blocked by content moderation. Your credits were returned.',
  provider_error: 'The image provider reported an error. Your credits were returned.',
  provider_rejected: 'The image provider refused this request. Your credits were returned.',
  timeout: 'The image provider did not finish in time. Your credits were returned.',
  storage_error: 'The image could not be stored. Your credits were returned.',
  invalid_input: 'The input images could not be used. Your credits were returned.',
};

/** Why the task did not produce images, for people; undefined while it can still succeed. */
export function failureReason(task: Pick<Task, 'status' | 'error'>): { summary: string; detail?: string } | undefined {
  if (task.status === 'canceled') return { summary: 'Canceled. Your credits were returned.' };
  if (task.status !== 'failed') return undefined;
  const code = task.error?.code ?? '';
  const summary = REASONS[code] ?? 'The task failed. Your credits were returned.';
  const detail = task.error?.message;
  return detail ? { summary, detail } : { summary };
}
