/** How an edge should treat an error: HTTP status in the gateway, ack/retry in consumers. */
export type ErrorCategory =
  | 'validation'
  | 'not_found'
  | 'conflict'
  | 'payment_required'
  | 'unauthorized'
  | 'unavailable'
  | 'internal';

/** A rule of the business said no. `code` is stable and documented; `message` is for people. */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    readonly category: ErrorCategory,
    message: string,
    readonly detail?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export function assertNever(value: never): never {
  throw new Error(`Unhandled case: ${JSON.stringify(value)}`);
}

/** One refused field of a request: its name as the caller wrote it, and why. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/**
 * The `invalid_request` error for these fields; its message names each field and why, e.g.
 * "Invalid field stream: stream must be false: streaming is not offered."
 */
export function invalidRequest(errors: readonly FieldError[]): DomainError {
  const fields = [...new Set(errors.map((error) => error.field))];
  const reasons = errors.map((error) => (error.message.startsWith(error.field) ? error.message : `${error.field}: ${error.message}`));
  return new DomainError('invalid_request', 'validation', `Invalid field${fields.length === 1 ? '' : 's'} ${fields.join(', ')}: ${reasons.join('; ')}.`, {
    errors,
  });
}
