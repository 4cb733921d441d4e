import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

export interface RunningS3rver {
  /** e.g. "http://127.0.0.1:41235" */
  readonly endpoint: string;
  readonly port: number;
  /** Stops the server and removes its directory. Safe to call twice. */
  close(): Promise<void>;
}

/** An S3-compatible server on a free port, storing into a fresh temp directory. */
export async function startS3rver(): Promise<RunningS3rver> {
  const directory = await mkdtemp(join(tmpdir(), 'darkroom-s3rver-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory });
  let port: number;
  try {
    ({ port } = await server.run());
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  let closed: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    close() {
      closed ??= (async () => {
        // Clients keep sockets alive; without this close() waits for them to time out.
        server.httpServer?.closeAllConnections();
        await server.close();
        await rm(directory, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}

/**
 * Config for `S3ObjectStorage` against s3rver. Declared here rather than imported so
 * `testing` does not depend on `object-storage` (whose specs depend on `testing`).
 */
export interface S3TestConfig {
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly forcePathStyle: boolean;
}

/** s3rver accepts only its fixed dev credentials, S3RVER / S3RVER. */
export const s3TestConfig = (endpoint: string, bucket: string): S3TestConfig => ({
  endpoint,
  region: 'us-east-1',
  bucket,
  accessKeyId: 'S3RVER',
  secretAccessKey: 'S3RVER',
  forcePathStyle: true,
});
