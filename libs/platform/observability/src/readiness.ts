/** One dependency's verdict in `/health/ready`. */
export interface CheckResult {
  readonly ok: boolean;
  /** Why it failed, or a short note (e.g. "waiting for the lock held by another instance"). */
  readonly detail?: string;
  /** Extra facts for operators (per-runner state, ...). */
  readonly [key: string]: unknown;
}

export type Check = () => Promise<CheckResult>;

export interface Readiness {
  readonly status: 'ready' | 'not_ready';
  readonly checks: Readonly<Record<string, CheckResult>>;
}

/**
 * Runs every check at once, each bounded by `timeoutMs`: a check that throws or does not
 * answer in time fails with the reason. Ready only when every check is ok.
 */
export async function evaluateReadiness(checks: Readonly<Record<string, Check>>, timeoutMs: number): Promise<Readiness> {
  const names = Object.keys(checks);
  const results = await Promise.all(names.map((name) => withTimeout(checks[name], timeoutMs)));
  const byName = Object.fromEntries(names.map((name, index) => [name, results[index]]));
  return { status: results.every((result) => result.ok) ? 'ready' : 'not_ready', checks: byName };
}

async function withTimeout(check: Check, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
  });
  try {
    return await Promise.race([
      check().catch((error: unknown): CheckResult => ({ ok: false, detail: error instanceof Error ? error.message : String(error) })),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
