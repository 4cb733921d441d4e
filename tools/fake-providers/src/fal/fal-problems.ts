import type { ServerResponse } from 'node:http';
import { sendJson } from '../fake-server';

/**
 * The status a `[fake:<prefix><status>x<n>]` directive forces on the `occurrence`-th matching
 * call (1-based), e.g. `429x2` fails the first two submits. Several chain in prompt order:
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

/**
 * A forced error in fal's shapes: 429 with `Retry-After`, an HTML 502 from the edge, 422 as a
 * validation error, other 5xx as an infrastructure error (`{detail, error_type}` +
 * `X-Fal-Error-Type`) unless `infra` is false (a bare gateway error).
 */
export function sendForcedFal(res: ServerResponse, status: number, retryAfter: string, infra = true): void {
  if (status === 429) return sendJson(res, 429, { detail: 'Too many requests' }, { 'retry-after': retryAfter });
  if (status === 502) {
    const html = '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>';
    res.writeHead(502, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(html) }).end(html);
    return;
  }
  if (status === 422) {
    return sendJson(res, 422, { detail: [{ loc: ['body', 'prompt'], msg: 'Forced invalid input', type: 'value_error' }] });
  }
  if (status >= 500 && infra) {
    const errorType = status === 504 ? 'startup_timeout' : status === 503 ? 'runner_scheduling_failure' : 'runner_server_error';
    return sendJson(res, status, { detail: `Forced ${errorType}`, error_type: errorType }, { 'x-fal-error-type': errorType });
  }
  sendJson(res, status, { detail: `Forced ${status}` });
}
