import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, eventually } from './support/api';
import { startEmbedded, type Embedded } from './support/embedded';
import { rawRequest } from './support/raw-http';

jest.setTimeout(300_000);

/**
 * Issue 14 in the embedded mode (`npm start`): its bucket is only for darkroom (signed
 * requests only, its address never handed out) and the dev key is not served to a page
 * that rebinds its own name to loopback.
 */
let dataDir: string;
let app: Embedded;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'darkroom-embedded-edge-'));
  app = await startEmbedded(dataDir);
});
afterAll(async () => {
  await app?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** TCP ports `pid` listens on, from the kernel's socket table and the process's open sockets. */
function listeningPorts(pid: number): number[] {
  const inodes = new Set(
    readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
      try {
        return [/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1]].filter(Boolean);
      } catch {
        return []; // Closed meanwhile.
      }
    }),
  );
  return ['tcp', 'tcp6'].flatMap((table) =>
    readFileSync(`/proc/${pid}/net/${table}`, 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      // local_address is ADDR:PORT in hex, st 0A is LISTEN, the inode is the tenth field.
      .filter((fields) => fields[3] === '0A' && inodes.has(fields[9]))
      .map((fields) => parseInt(fields[1]!.split(':')[1]!, 16)),
  );
}

describe('the embedded bucket', () => {
  it('hands out no bucket address: assets stream from darkroom by default', async () => {
    const created = await call(app.url, 'POST', '/v1/generations', { key: app.apiKey, body: { model: 'local', prompt: 'a quiet bay', size: '64x64' } });
    expect(created.status).toBe(202);
    const task = await eventually(async () => {
      const current = await call(app.url, 'GET', `/v1/generations/${created.body.id}`, { key: app.apiKey });
      return current.body.status === 'completed' ? current.body : undefined;
    }, 60_000, 'completion');
    const asset = await call(app.url, 'GET', `/v1/assets/${task.assets[0].id}`, { key: app.apiKey });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('location')).toBeNull();
    expect(asset.headers.get('content-type')).toBe('image/png');
  });

  it('refuses unsigned GET, PUT, DELETE and list on every port darkroom listens on besides its own', async () => {
    const ports = listeningPorts(app.pid!).filter((port) => port !== Number(new URL(app.url).port));
    const answers: Record<string, number> = {};
    for (const port of ports) {
      for (const [method, path] of [
        ['GET', '/darkroom?list-type=2'],
        ['GET', '/darkroom/accounts/x/uploads/y.png'],
        ['PUT', '/darkroom/accounts/x/uploads/y.png'],
        ['DELETE', '/darkroom/accounts/x/uploads/y.png'],
      ] as const) {
        // PGlite's socket answers no HTTP: only the bucket's port gives a status.
        const answer = await rawRequest(`http://127.0.0.1:${port}`, { method, path, chunks: method === 'PUT' ? [Buffer.from('x')] : [], timeoutMs: 2_000 }).catch(
          () => undefined,
        );
        if (answer) answers[`${method} :${port}${path}`] = answer.status;
      }
    }
    // The bucket is among the ports, and refuses every one of these requests.
    expect(Object.keys(answers).length).toBeGreaterThanOrEqual(4);
    expect(Object.entries(answers).filter(([, status]) => status !== 403)).toEqual([]);
  });
});

describe('/studio-config.json', () => {
  it('serves the dev key to loopback names at darkroom\'s port, and 403 to any other Host', async () => {
    const port = new URL(app.url).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
      const answer = await rawRequest(app.url, { method: 'GET', path: '/studio-config.json', headers: { host } });
      expect({ host, status: answer.status, key: answer.body.dev_api_key }).toEqual({ host, status: 200, key: app.apiKey });
    }
    for (const host of [`rebound.example:${port}`, 'rebound.example', `localhost:${Number(port) + 1}`]) {
      const answer = await rawRequest(app.url, { method: 'GET', path: '/studio-config.json', headers: { host } });
      expect({ host, status: answer.status, code: answer.body.code }).toEqual({ host, status: 403, code: 'loopback_host_only' });
      expect(JSON.stringify(answer.body)).not.toContain(app.apiKey);
    }
  });
});
