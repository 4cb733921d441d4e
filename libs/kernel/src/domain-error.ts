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
