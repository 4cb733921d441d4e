import type { ServerResponse } from 'node:http';
import { sendJson } from '../fake-server';

/**
 * The status a `[fake:<prefix><status>x<n>]` directive forces on the `occurrence`-th matching
 * call (1-based), e.g. `429x2` fails the first two creates. Several chain in prompt order:
 * `poll-503x1 … poll-429x1` answers the first poll with 503 and the second with 429.
 */
export function forcedStatus(directives: ReadonlyMap<string, string>, prefix: string, occurrence: number): number | undefined {
  let remaining = occurrence;
  for (const name of directives.keys()) {
    const match = new RegExp(`^${prefix}(\\d{3})x(\\d+)$`).exec(name);
    if (!match) continue;
    if (remaining <= Number(match[2])) return Number(match[1]);
    remaining -= Number(match[2]);
  }
  return undefined;
}

const titles: Readonly<Record<number, string>> = {
  400: 'Bad request',
  401: 'Unauthenticated',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  422: 'Input validation failed',
  500: 'Internal server error',
  503: 'Service unavailable',
  504: 'Gateway timeout',
};

/** Replicate's error bodies are RFC 7807 problem details. */
export function sendProblem(res: ServerResponse, status: number, detail: string, extra: Record<string, unknown> = {}): void {
  sendJson(res, status, { type: 'about:blank', title: titles[status] ?? 'Error', status, detail, ...extra }, {
    'content-type': 'application/problem+json',
  });
}

/** A forced error in Replicate's shapes: the documented 429 body, an HTML 502 from the edge, else a problem. */
export function sendForced(res: ServerResponse, status: number, retryAfter: string): void {
  if (status === 429) {
    sendJson(res, 429, { detail: 'Request was throttled. Your rate limit resets in ~30s.' }, { 'retry-after': retryAfter });
  } else if (status === 502) {
    const html = '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>';
    res.writeHead(502, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(html) }).end(html);
  } else if (status === 422) {
    sendProblem(res, 422, '- input.prompt: forced invalid input', { invalid_fields: [{ field: 'input.prompt', type: 'invalid' }] });
  } else {
    sendProblem(res, status, `Forced ${status} by a [fake:${status}x<n>] directive`);
  }
}
