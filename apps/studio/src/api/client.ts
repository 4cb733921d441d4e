/** An RFC 7807 problem as the API sends it; `code` is the stable part. */
export interface Problem {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail?: string;
  readonly errors?: readonly { readonly field: string; readonly message: string }[];
  readonly task_id?: string;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = 'ApiError';
  }

  get code(): string {
    return this.problem.code;
  }

  get status(): number {
    return this.problem.status;
  }

  /** The problem in one sentence, with the fields it names. */
  describe(): string {
    const fields = (this.problem.errors ?? []).map((error) => error.message).join('; ');
    return fields ? `${this.message} ${fields}` : this.message;
  }
}

export interface CallOptions {
  readonly method?: 'GET' | 'POST' | 'DELETE';
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

export interface Answer<T> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

const isProblem = (value: unknown): value is Omit<Problem, 'status'> =>
  typeof value === 'object' && value !== null && typeof (value as { code?: unknown }).code === 'string';

/**
 * The public API on the page's own origin, authorised with `key` (an API key, or the admin
 * key on /admin). Answers outside 2xx become an ApiError carrying the problem.
 */
export async function call<T>(key: string, path: string, options: CallOptions = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  if (key) headers['Authorization'] = `Bearer ${key}`;
  let body: BodyInit | undefined;
  if (options.body instanceof FormData) body = options.body;
  else if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(path, { method: options.method ?? 'GET', headers, body, signal: options.signal });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new ApiError({ status: 0, code: 'network_error', title: 'darkroom could not be reached. Check that it is running.' });
  }
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const problem = isProblem(parsed)
      ? { ...parsed, status: response.status }
      : { status: response.status, code: 'http_error', title: `darkroom answered ${response.status}.` };
    throw new ApiError(problem);
  }
  return { status: response.status, headers: response.headers, body: parsed as T };
}

/** The bytes of a stored image, fetched with the key (an <img> cannot send one) as an object URL. */
export async function fetchBlob(key: string, path: string, signal?: AbortSignal): Promise<Blob> {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${key}` }, signal });
  if (!response.ok) throw new ApiError({ status: response.status, code: 'asset_unavailable', title: `The image could not be loaded (${response.status}).` });
  return response.blob();
}
