/** A provider's callback as it reached the edge: nothing is trusted until its signature is checked. */
export interface ProviderCallback {
  /** The provider named in the callback URL. */
  readonly provider: string;
  /** The query darkroom put in the callback URL: `task` and `attempt`. */
  readonly query: { readonly task?: string; readonly attempt?: string };
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The body exactly as received: the signature covers these bytes. */
  readonly rawBody: Buffer | undefined;
}

export interface ProviderCallbackReceipt {
  readonly received: true;
  /** True for an exact replay of a delivery already applied: nothing changed. */
  readonly duplicate: boolean;
}

/**
 * Provider callbacks handed over by the edge: the provider-adapter's code verifies them and
 * records what they say on the provider-job stream (decision 0022).
 */
export abstract class ProviderCallbacks {
  abstract receive(callback: ProviderCallback): Promise<ProviderCallbackReceipt>;
}
