/**
 * One Idempotency-Key per submission: the same request sent again before its answer arrives
 * (a double click, a retry after a dropped connection) carries the same key, so the API makes
 * one task; a new key is taken once an answer has arrived or the request changed.
 */
export class SubmissionKeys {
  private current: { readonly body: string; readonly key: string } | undefined;

  constructor(private readonly newKey: () => string = () => crypto.randomUUID()) {}

  keyFor(body: string): string {
    if (this.current?.body !== body) this.current = { body, key: this.newKey() };
    return this.current.key;
  }

  /** The answer for `key` arrived: the next submission is a new request. */
  settled(key: string): void {
    if (this.current?.key === key) this.current = undefined;
  }
}
