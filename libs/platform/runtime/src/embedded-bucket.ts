import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '@darkroom/kernel';
import S3rver from 's3rver';
import { DUMMY_ACCOUNT } from 's3rver/lib/models/account';
import { sigV4Refusal, type SigningCredentials } from './sigv4';

export interface EmbeddedBucket {
  /** e.g. "http://127.0.0.1:41235": only requests signed with `credentials` are served. */
  readonly endpoint: string;
  /** Drawn at each start: nothing outside this process knows them. */
  readonly credentials: SigningCredentials;
  close(): Promise<void>;
}

const accessDenied = (reason: string) =>
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  `<Error><Code>AccessDenied</Code><Message>Signed requests only: ${reason}</Message></Error>`;

/**
 * s3rver on loopback behind a check of every request's signature (issue 14). s3rver serves
 * unsigned requests and takes any SigV4 signature on trust, so anyone on the machine could
 * list, read, write or delete every account's objects; here a request reaches s3rver only
 * with a valid signature of this boot's random key, in its header or a presigned URL.
 * s3rver's own listener is never opened: its Koa handler is called in-process.
 */
export async function startEmbeddedBucket(directory: string, clock: Clock = systemClock): Promise<EmbeddedBucket> {
  const credentials = {
    accessKeyId: `DR${randomBytes(9).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64url'),
  };
  // s3rver looks the access key up (it checks no V4 signature itself).
  DUMMY_ACCOUNT.createKeyPair(credentials.accessKeyId, credentials.secretAccessKey);
  const s3 = new S3rver({ silent: true, directory });
  await s3.configureBuckets();
  const serve = s3.callback();
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    // A CORS preflight carries no credentials by design and reads nothing.
    const signed = { method: request.method ?? '', url: request.url ?? '/', headers: request.headers };
    const checked = request.method === 'OPTIONS' ? Promise.resolve(undefined) : sigV4Refusal(signed, credentials, clock.now().getTime());
    // The body stays paused until s3rver reads it.
    void checked
      .catch((error: unknown) => `unreadable signature (${String(error)})`)
      .then((refusal) => {
        if (refusal === undefined) return serve(request, response);
        response.writeHead(403, { 'content-type': 'application/xml', connection: 'close' }).end(accessDenied(refusal));
        request.resume();
      });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    credentials,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      DUMMY_ACCOUNT.revokeAccessKey(credentials.accessKeyId);
    },
  };
}
