/** How a scripted task ends. */
export type Terminal = 'Ready' | 'Error' | 'Failed' | 'Request Moderated' | 'Content Moderated';

/**
 * How a task ends, from its prompt: `[fake:fail]` → Error, `[fake:failed-status]` → the
 * non-enum Failed, `[fake:content-moderated]` → Content Moderated (after the Pending time),
 * `[fake:request-moderated]` → Request Moderated (at once), otherwise Ready.
 */
export function terminalFor(directives: ReadonlyMap<string, string>): Terminal {
  if (directives.has('request-moderated')) return 'Request Moderated';
  if (directives.has('content-moderated')) return 'Content Moderated';
  if (directives.has('failed-status')) return 'Failed';
  if (directives.has('fail')) return 'Error';
  return 'Ready';
}

export function detailsFor(status: 'Pending' | Terminal): object | null {
  if (status === 'Request Moderated' || status === 'Content Moderated') return { 'Moderation Reasons': ['Derivative Works'] };
  if (status === 'Error' || status === 'Failed') return { error: 'Generation failed on the worker' };
  return null;
}

/** FastAPI's validation error for the first problem in a submit body, if any. */
export function validate(body: Record<string, unknown> | undefined): object | undefined {
  if (!body || typeof body !== 'object') return { type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', input: {} };
  if (typeof body.prompt !== 'string' || body.prompt === '') return { type: 'missing', loc: ['body', 'prompt'], msg: 'Field required', input: body };
  for (const side of ['width', 'height'] as const) {
    const value = body[side];
    if (value !== undefined && (typeof value !== 'number' || value % 16 !== 0 || value < 64 || value > 4096)) {
      return { type: 'value_error', loc: ['body', side], msg: `Value error, ${side} must be a multiple of 16 from 64 to 4096`, input: value };
    }
  }
  return undefined;
}

