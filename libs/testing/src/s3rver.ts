import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

export interface RunningS3rver {
  /** e.g. "http://127.0.0.1:41235" */
  readonly endpoint: string;
  readonly port: number;
  /**
   * Stops serving, as an outage would: open connections are cut and new ones refused.
   * The stored objects stay; `start()` serves them again on the same port.
   */
  stop(): Promise<void>;
  /** Serves again after `stop()`, on the same port and directory; a no-op while running. */
  start(): Promise<void>;
  /** Stops the server and removes its directory. Safe to call twice. */
  close(): Promise<void>;
}

/** An S3-compatible server on a free port, storing into a fresh temp directory. */
export async function startS3rver(): Promise<RunningS3rver> {
  const directory = await mkdtemp(join(tmpdir(), 'darkroom-s3rver-'));
  let server: S3rver | undefined = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory });
  let port: number;
  try {
    ({ port } = await server.run());
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  const stop = async () => {
    const running = server;
    server = undefined;
    if (!running) return;
    // Clients keep sockets alive; without this close() waits for them to time out.
    running.httpServer?.closeAllConnections();
    await running.close();
  };
  let closed: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop,
    async start() {
      if (server || closed) return;
      const next = new S3rver({ port, address: '127.0.0.1', silent: true, directory });
      await next.run();
      server = next;
    },
    close() {
      closed ??= (async () => {
        await stop();
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
