/** The few admin API resources the CLI reads, as the gateway returns them (snake_case). */
export interface Job {
  readonly id: string;
  readonly kind: 'rebuild' | 'verify';
  readonly state: 'requested' | 'running' | 'switching' | 'completed' | 'failed';
  readonly events_done: number;
  readonly events_total: number | null;
  readonly rate_per_second: number | null;
  readonly eta_seconds: number | null;
  readonly error: string | null;
  readonly live: { checksum: string; rows: number } | null;
  readonly rebuilt: { checksum: string; rows: number } | null;
}

export interface Projection {
  readonly name: string;
  readonly checkpoint: { transaction_id: string; global_position: string; updated_at: string } | null;
  readonly lag: { events_behind: number; last_batch_at: string | null };
  readonly rebuild: Job | null;
}

export interface Checksum {
  readonly state: Job['state'];
  readonly match?: boolean;
  readonly live?: { checksum: string; rows: number };
  readonly rebuilt?: { checksum: string; rows: number };
  readonly position?: { transaction_id: string; global_position: string };
  readonly rebuild: Job;
}

export interface AdminClient {
  projections(): Promise<Projection[]>;
  rebuild(name: string): Promise<Job>;
  job(name: string, id: string): Promise<Job>;
  checksum(name: string): Promise<Checksum>;
}

/** A failed request, with the problem document's `code` when the gateway sent one. */
export class AdminApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'AdminApiError';
  }
}

export function adminClient(baseUrl: string, adminKey: string): AdminClient {
  const call = async <T>(method: string, path: string): Promise<T> => {
    const response = await fetch(new URL(path, baseUrl), { method, headers: { authorization: `Bearer ${adminKey}` } }).catch(
      (error: unknown) => {
        const cause = (error as { cause?: { message?: string } }).cause?.message;
        throw new Error(`Cannot reach the gateway at ${baseUrl}: ${cause ?? String(error)}`);
      },
    );
    const body = (await response.json().catch(() => ({}))) as { code?: string; detail?: string };
    if (!response.ok) {
      throw new AdminApiError(response.status, body.code, `${method} ${path}: ${response.status} ${body.code ?? ''} ${body.detail ?? ''}`.trim());
    }
    return body as T;
  };
  const segment = encodeURIComponent;
  return {
    projections: async () => (await call<{ data: Projection[] }>('GET', '/admin/projections')).data,
    rebuild: (name) => call<Job>('POST', `/admin/projections/${segment(name)}/rebuild`),
    job: (name, id) => call<Job>('GET', `/admin/projections/${segment(name)}/rebuilds/${segment(id)}`),
    checksum: (name) => call<Checksum>('GET', `/admin/projections/${segment(name)}/checksum?wait=5`),
  };
}
