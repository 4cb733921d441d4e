export const GATEWAY_OPTIONS = Symbol('GatewayOptions');

export interface GatewayOptions {
  /** Credential for `/admin/*`. */
  readonly adminApiKey: string;
}
