import type { GenerationRequest, Priority } from '@darkroom/contracts';

/** What the adapter does next for a task (table `provider_jobs`). */
export type WorkPhase = 'submit' | 'poll' | 'cancel' | 'abandoned' | 'done';

/** One row of `provider_jobs`: the task's current attempt and its schedule. */
export interface ProviderJobRow {
  readonly taskId: string;
  readonly accountId: string;
  readonly attempt: number;
  /** Public model id of this attempt (a fallback differs from the request's model). */
  readonly model: string;
  readonly provider: string;
  readonly phase: WorkPhase;
  readonly request: GenerationRequest;
  readonly deadline: string;
  /** The event that scheduled this attempt; produced events name it as their cause. */
  readonly causeEventId: string;
  readonly providerJobId?: string;
  readonly handle?: Readonly<Record<string, string>>;
  readonly polls: number;
  readonly lastStatus?: string;
  /** Scheduling lane, and the submit's place in its provider's fair queue (decision 0024). */
  readonly priority: Priority;
  readonly queueKey: number;
}

interface DbRow {
  task_id: string;
  account_id: string;
  attempt: number;
  model: string;
  provider: string;
  phase: WorkPhase;
  request: GenerationRequest;
  deadline: Date | string;
  cause_event_id: string;
  provider_job_id: string | null;
  handle: Record<string, string> | null;
  polls: number;
  last_status: string | null;
  priority: Priority;
  queue_key: number;
}

export function fromDb(row: DbRow): ProviderJobRow {
  return {
    taskId: row.task_id,
    accountId: row.account_id,
    attempt: row.attempt,
    model: row.model,
    provider: row.provider,
    phase: row.phase,
    request: row.request,
    deadline: new Date(row.deadline).toISOString(),
    causeEventId: row.cause_event_id,
    ...(row.provider_job_id ? { providerJobId: row.provider_job_id } : {}),
    ...(row.handle ? { handle: row.handle } : {}),
    polls: row.polls,
    ...(row.last_status ? { lastStatus: row.last_status } : {}),
    priority: row.priority,
    queueKey: Number(row.queue_key),
  };
}

export type { DbRow as ProviderJobDbRow };
