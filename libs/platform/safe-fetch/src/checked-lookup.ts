import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { addressRefusal } from './address-policy';

/** Every address a host name resolves to. */
export type Resolve = (hostname: string) => Promise<readonly string[]>;

/** The system resolver (`dns.lookup` with `all: true`), as the socket would use it. */
export const systemResolve: Resolve = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

/** A resolved address we refuse to connect to; raised inside the socket's own lookup. */
export class AddressNotAllowedError extends Error {
  readonly code = 'ERR_ADDRESS_NOT_ALLOWED';

  constructor(
    readonly hostname: string,
    readonly address: string,
    readonly refusal: string,
  ) {
    super(`${hostname} resolves to ${address}, which is ${refusal}`);
  }
}

/**
 * A `lookup` for `http.request`: the socket connects only to addresses this function hands
 * back, so checking them here leaves no window between check and connect (no DNS rebinding).
 * One refused address refuses the host, so a mixed answer cannot be raced.
 */
export function checkedLookup(resolve: Resolve): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (addresses) => {
        for (const address of addresses) {
          const refusal = addressRefusal(address);
          if (refusal) return callback(new AddressNotAllowedError(hostname, address, refusal), '');
        }
        const family = options.family === 4 || options.family === 6 ? options.family : 0;
        const usable = addresses.filter((address) => family === 0 || isIP(address) === family);
        if (usable.length === 0) return callback(notFound(hostname), '');
        if (options.all) return callback(null, usable.map((address) => ({ address, family: isIP(address) })));
        return callback(null, usable[0], isIP(usable[0]));
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}

function notFound(hostname: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
}
