/** Largest provider result copied; a bigger answer is refused while streaming. */
export const MAX_RESULT_BYTES = 50 * 1024 * 1024;
const TIMEOUT_MS = 60_000;

export type FetchResult =
  | { readonly ok: true; readonly bytes: Buffer }
  /** `retryable`: the message is retried later (network trouble, 5xx); otherwise the output is rejected. */
  | { readonly ok: false; readonly retryable: boolean; readonly reason: string };

/**
 * Downloads a provider result URL: https only (plain http only for hosts configured for
 * tests), a timeout, no redirects followed, and a byte cap enforced while streaming.
 * The full SSRF defences (resolved-IP checks, per-provider host allowlists) are DESIGN §7's
 * fetcher, which replaces this one.
 */
export class ResultFetcher {
  constructor(private readonly httpHosts: ReadonlySet<string>) {}

  async fetch(url: string): Promise<FetchResult> {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return { ok: false, retryable: false, reason: 'result URL is not a URL' };
    }
    const allowed = target.protocol === 'https:' || (target.protocol === 'http:' && this.httpHosts.has(target.host));
    if (!allowed || target.username || target.password) {
      return { ok: false, retryable: false, reason: `result URL not allowed: ${target.protocol}//${target.host}` };
    }
    try {
      const response = await fetch(target, { redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
      if (response.status >= 500 || response.status === 429) {
        await response.body?.cancel();
        return { ok: false, retryable: true, reason: `result download answered HTTP ${response.status}` };
      }
      if (response.status !== 200 || !response.body) {
        await response.body?.cancel();
        return { ok: false, retryable: false, reason: `result URL expired or gone (HTTP ${response.status})` };
      }
      const chunks: Buffer[] = [];
      let total = 0;
      for await (const chunk of response.body) {
        total += (chunk as Uint8Array).byteLength;
        if (total > MAX_RESULT_BYTES) {
          await response.body.cancel().catch(() => undefined);
          return { ok: false, retryable: false, reason: `result larger than ${MAX_RESULT_BYTES} bytes` };
        }
        chunks.push(Buffer.from(chunk as Uint8Array));
      }
      return { ok: true, bytes: Buffer.concat(chunks) };
    } catch (error) {
      return { ok: false, retryable: true, reason: `result download failed: ${(error as Error).message}` };
    }
  }
}
