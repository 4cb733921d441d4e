/**
 * A refusal that only HTTP has a status for (413, 415): the request itself, not a rule of
 * the business. Everything else is a DomainError mapped by its category.
 */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extensions: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'HttpProblem';
  }
}
