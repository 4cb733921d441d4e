// s3rver 3.7.1 ships no type declarations; this covers the parts the test helper and the embedded bucket use.
declare module 's3rver' {
  import type { AddressInfo } from 'node:net';
  import type { RequestListener, Server } from 'node:http';

  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory: string;
    resetOnClose?: boolean;
    configureBuckets?: readonly { name: string; configs?: readonly (string | Buffer)[] }[];
  }

  class S3rver {
    constructor(options: S3rverOptions);
    httpServer?: Server;
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
    /** Creates the `configureBuckets` buckets; `run()` does it before listening. */
    configureBuckets(): Promise<void>;
    /** The Koa app's request handler, to serve from a server of one's own. */
    callback(): RequestListener;
  }

  export = S3rver;
}

// The account s3rver authenticates every request as; it accepts the keys registered on it.
declare module 's3rver/lib/models/account' {
  interface AwsAccount {
    createKeyPair(accessKeyId: string, secretAccessKey: string): void;
    revokeAccessKey(accessKeyId: string): void;
  }
  export const DUMMY_ACCOUNT: AwsAccount;
}
