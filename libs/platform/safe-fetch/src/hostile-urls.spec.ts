import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startCanary, startTestHost, watchSockets, type Canary, type SocketWatch, type TestHost } from './loopback.fixtures';
import type { SafeFetchCode } from './safe-fetch.result';
import { SafeFetcher } from './safe-fetcher';

/**
 * The hostile-URL corpus (issue 4): every URL below must come back as a typed rejection,
 * and not one TCP connection may reach the canary or anything but the allowed test host.
 * `P` is the canary's port; the canary listens on every local address.
 * The injected resolver answers only forbidden addresses, so even a policy bug could not
 * make this test reach the internet.
 */
const P = '{canary}';
/** The allowed test host: `R(url)` redirects there, `C(n, url)` after n hops of its own. */
const R = (target: string, status = 302) => `{test}/to?status=${status}&u=${encodeURIComponent(target)}`;
const C = (hops: number, target: string) => `{test}/chain?n=${hops}&u=${encodeURIComponent(target)}`;

const dns: Record<string, readonly string[]> = {
  'allowed.example': ['127.0.0.1'],
  'rebind.allowed.example': ['127.0.0.1'],
  'v6.allowed.example': ['::1'],
  'mapped.allowed.example': ['::ffff:127.0.0.1'],
  'metadata.allowed.example': ['169.254.169.254'],
  'mixed.allowed.example': ['8.8.8.8', '127.0.0.1'],
  'mixed6.allowed.example': ['2606:4700::1111', 'fe80::1'],
  'zero.allowed.example': ['0.0.0.0'],
  'private.allowed.example': ['10.0.0.5'],
  'private172.allowed.example': ['172.20.1.1'],
  'home.allowed.example': ['192.168.0.10'],
  'cgnat.allowed.example': ['100.64.0.1'],
  'nat64.allowed.example': ['64:ff9b::7f00:1'],
  '6to4.allowed.example': ['2002:7f00:1::1'],
  'teredo.allowed.example': ['2001:0:808:808:0:0:80ff:fffe'],
  'ula.allowed.example': ['fd00:ec2::254'],
  'linklocal.allowed.example': ['fe80::a9fe:a9fe'],
  'broadcast.allowed.example': ['255.255.255.255'],
  'multicast.allowed.example': ['239.1.1.1'],
  'doc.allowed.example': ['192.0.2.10'],
  'replicate.delivery': ['127.0.0.1'],
  'pbxt.replicate.delivery': ['10.0.0.1'],
};
const ALLOWED = ['replicate.delivery', '*.replicate.delivery', 'allowed.example', '*.allowed.example'];

type Case = readonly [url: string, code: SafeFetchCode];

const loopbackEncodings: Case[] = [
  [`https://127.0.0.1:${P}/`, 'address_not_allowed'],
  ['https://127.0.0.1/', 'address_not_allowed'],
  [`https://127.1:${P}/`, 'address_not_allowed'],
  [`https://127.0.1:${P}/`, 'address_not_allowed'],
  [`https://2130706433:${P}/`, 'address_not_allowed'],
  [`https://0x7f000001:${P}/`, 'address_not_allowed'],
  [`https://0x7f.1:${P}/`, 'address_not_allowed'],
  [`https://0x7F.0x00.0x00.0x01:${P}/`, 'address_not_allowed'],
  [`https://0177.0.0.1:${P}/`, 'address_not_allowed'],
  [`https://0177.1:${P}/`, 'address_not_allowed'],
  [`https://017700000001:${P}/`, 'address_not_allowed'],
  [`https://00000177.0.0.1:${P}/`, 'address_not_allowed'],
  [`https://127.000.000.001:${P}/`, 'address_not_allowed'],
  [`https://%31%32%37.0.0.1:${P}/`, 'address_not_allowed'],
  [`https://１２７.０.０.１:${P}/`, 'address_not_allowed'],
  [`https://127.0.0.1.:${P}/`, 'address_not_allowed'],
  [`https://127.0.0.2:${P}/`, 'address_not_allowed'],
  [`https://127.255.255.254:${P}/`, 'address_not_allowed'],
  [`https://0:${P}/`, 'address_not_allowed'],
  [`https://0.0.0.0:${P}/`, 'address_not_allowed'],
  [`https://0x0:${P}/`, 'address_not_allowed'],
  [`https://000.000.000.000:${P}/`, 'address_not_allowed'],
  ['https://0.0.0.0/', 'address_not_allowed'],
  [`https:/127.0.0.1:${P}/`, 'address_not_allowed'],
  [`https:\\\\127.0.0.1:${P}\\`, 'address_not_allowed'],
  [`HTTPS://127.0.0.1:${P}/`, 'address_not_allowed'],
];

const loopbackNames: Case[] = [
  [`https://localhost:${P}/`, 'host_not_allowed'],
  [`https://LOCALHOST:${P}/`, 'host_not_allowed'],
  [`https://localhost.:${P}/`, 'host_not_allowed'],
  [`https://sub.localhost:${P}/`, 'host_not_allowed'],
  [`https://127.0.0.1.nip.io:${P}/`, 'host_not_allowed'],
  [`https://localtest.me:${P}/`, 'host_not_allowed'],
  [`https://ip6-localhost:${P}/`, 'host_not_allowed'],
];

const ipv6: Case[] = [
  [`https://[::1]:${P}/`, 'address_not_allowed'],
  [`https://[0:0:0:0:0:0:0:1]:${P}/`, 'address_not_allowed'],
  [`https://[::]:${P}/`, 'address_not_allowed'],
  [`https://[::ffff:127.0.0.1]:${P}/`, 'address_not_allowed'],
  [`https://[::ffff:7f00:1]:${P}/`, 'address_not_allowed'],
  [`https://[0:0:0:0:0:ffff:127.0.0.1]:${P}/`, 'address_not_allowed'],
  [`https://[::127.0.0.1]:${P}/`, 'address_not_allowed'],
  [`https://[::ffff:0:127.0.0.1]:${P}/`, 'address_not_allowed'],
  [`https://[64:ff9b::127.0.0.1]:${P}/`, 'address_not_allowed'],
  ['https://[64:ff9b::a9fe:a9fe]/', 'address_not_allowed'],
  [`https://[2002:7f00:1::]:${P}/`, 'address_not_allowed'],
  [`https://[2001:0:808:808:0:0:80ff:fffe]:${P}/`, 'address_not_allowed'],
  [`https://[fe80::1]:${P}/`, 'address_not_allowed'],
  [`https://[fe80::1%25lo]:${P}/`, 'invalid_url'],
  [`https://[::1%25eth0]:${P}/`, 'invalid_url'],
  [`https://[fc00::1]:${P}/`, 'address_not_allowed'],
  ['https://[fd00:ec2::254]/', 'address_not_allowed'],
  ['https://[::ffff:169.254.169.254]/', 'address_not_allowed'],
  ['https://[::ffff:10.0.0.1]/', 'address_not_allowed'],
  [`https://[ff02::1]:${P}/`, 'address_not_allowed'],
  ['https://[2001:db8::1]/', 'address_not_allowed'],
];

const privateRanges: Case[] = [
  ['https://10.0.0.1/', 'address_not_allowed'],
  [`https://10.255.255.255:${P}/`, 'address_not_allowed'],
  ['https://172.16.0.1/', 'address_not_allowed'],
  ['https://172.31.255.254/', 'address_not_allowed'],
  ['https://192.168.0.1/', 'address_not_allowed'],
  [`https://192.168.1.1:${P}/`, 'address_not_allowed'],
  ['https://0xa000001/', 'address_not_allowed'],
  ['https://167772161/', 'address_not_allowed'],
  ['https://012.0.0.1/', 'address_not_allowed'],
  ['https://100.64.0.1/', 'address_not_allowed'],
  ['https://100.127.255.254/', 'address_not_allowed'],
  ['https://224.0.0.1/', 'address_not_allowed'],
  ['https://255.255.255.255/', 'address_not_allowed'],
  ['https://4294967295/', 'address_not_allowed'],
  ['https://240.0.0.1/', 'address_not_allowed'],
  ['https://192.0.2.1/', 'address_not_allowed'],
  ['https://198.51.100.1/', 'address_not_allowed'],
  ['https://203.0.113.1/', 'address_not_allowed'],
  ['https://198.18.0.1/', 'address_not_allowed'],
];

const metadata: Case[] = [
  ['https://169.254.169.254/latest/meta-data/iam/security-credentials/', 'address_not_allowed'],
  [`https://169.254.169.254:${P}/`, 'address_not_allowed'],
  ['https://2852039166/', 'address_not_allowed'],
  ['https://0xa9fea9fe/', 'address_not_allowed'],
  ['https://0251.0376.0251.0376/', 'address_not_allowed'],
  ['https://169.254.170.2/v2/credentials', 'address_not_allowed'],
  ['https://100.100.100.200/latest/meta-data/', 'address_not_allowed'],
  ['https://metadata.google.internal/computeMetadata/v1/', 'host_not_allowed'],
  ['https://metadata.google.internal./computeMetadata/v1/', 'host_not_allowed'],
  ['https://metadata/computeMetadata/v1/', 'host_not_allowed'],
  ['https://instance-data/latest/meta-data/', 'host_not_allowed'],
  ['https://metadata.azure.com/metadata/instance', 'host_not_allowed'],
  ['https://kubernetes.default.svc/api', 'host_not_allowed'],
  [`https://metadata.allowed.example:${P}/`, 'address_not_allowed'],
];

const userinfo: Case[] = [
  [`https://allowed.example@127.0.0.1:${P}/`, 'userinfo_not_allowed'],
  ['https://user:pass@allowed.example/', 'userinfo_not_allowed'],
  [`https://allowed.example:x@127.0.0.1:${P}/`, 'userinfo_not_allowed'],
  [`https://allowed.example&@127.0.0.1:${P}/`, 'userinfo_not_allowed'],
  ['https://allowed.example%00@127.0.0.1/', 'userinfo_not_allowed'],
  ['https://127.0.0.1%2f@allowed.example/', 'userinfo_not_allowed'],
  [`https://replicate.delivery@[::1]:${P}/`, 'userinfo_not_allowed'],
  [`https://:@127.0.0.1:${P}/`, 'address_not_allowed'],
  ['https://127.0.0.1#@allowed.example/', 'address_not_allowed'],
  [`https://127.0.0.1:${P}#@allowed.example/`, 'address_not_allowed'],
  [`https://127.0.0.1:${P}?@allowed.example/`, 'address_not_allowed'],
  [`https://127.0.0.1:${P}\\@allowed.example/`, 'address_not_allowed'],
  // The parser reads the host as allowed.example (the rest is path); it resolves to loopback here.
  [`https://allowed.example\\@127.0.0.1:${P}/`, 'address_not_allowed'],
  ['https://allowed.example%40127.0.0.1/', 'invalid_url'],
];

const schemes: Case[] = [
  ['file:///etc/passwd', 'scheme_not_allowed'],
  ['file://127.0.0.1/etc/passwd', 'scheme_not_allowed'],
  [`gopher://127.0.0.1:${P}/_GET%20/`, 'scheme_not_allowed'],
  [`ftp://127.0.0.1:${P}/`, 'scheme_not_allowed'],
  ['data:image/png;base64,iVBORw0KGgo=', 'scheme_not_allowed'],
  ['javascript:alert(1)', 'scheme_not_allowed'],
  [`dict://127.0.0.1:${P}/info`, 'scheme_not_allowed'],
  [`ldap://127.0.0.1:${P}/`, 'scheme_not_allowed'],
  [`ws://127.0.0.1:${P}/`, 'scheme_not_allowed'],
  ['wss://allowed.example/', 'scheme_not_allowed'],
  ['jar:https://allowed.example!/', 'scheme_not_allowed'],
  ['blob:https://allowed.example/0e8b', 'scheme_not_allowed'],
  [`http://127.0.0.1:${P}/`, 'scheme_not_allowed'],
  [`HTTP://127.0.0.1:${P}/`, 'scheme_not_allowed'],
  ['http://allowed.example/', 'scheme_not_allowed'],
  [`http://[::1]:${P}/`, 'scheme_not_allowed'],
  ['not a url', 'invalid_url'],
  ['', 'invalid_url'],
  ['https://', 'invalid_url'],
  ['//127.0.0.1/', 'invalid_url'],
];

/** Allowed names (and wildcard matches) whose DNS answer is forbidden: refused inside the socket's lookup. */
const resolvesInside: Case[] = [
  [`https://allowed.example:${P}/`, 'address_not_allowed'],
  [`https://rebind.allowed.example:${P}/`, 'address_not_allowed'],
  [`https://v6.allowed.example:${P}/`, 'address_not_allowed'],
  [`https://mapped.allowed.example:${P}/`, 'address_not_allowed'],
  [`https://mixed.allowed.example:${P}/`, 'address_not_allowed'],
  [`https://mixed6.allowed.example:${P}/`, 'address_not_allowed'],
  [`https://zero.allowed.example:${P}/`, 'address_not_allowed'],
  ['https://private.allowed.example/', 'address_not_allowed'],
  ['https://private172.allowed.example/', 'address_not_allowed'],
  ['https://home.allowed.example/', 'address_not_allowed'],
  ['https://cgnat.allowed.example/', 'address_not_allowed'],
  [`https://nat64.allowed.example:${P}/`, 'address_not_allowed'],
  [`https://6to4.allowed.example:${P}/`, 'address_not_allowed'],
  [`https://teredo.allowed.example:${P}/`, 'address_not_allowed'],
  ['https://ula.allowed.example/', 'address_not_allowed'],
  ['https://linklocal.allowed.example/', 'address_not_allowed'],
  ['https://broadcast.allowed.example/', 'address_not_allowed'],
  ['https://multicast.allowed.example/', 'address_not_allowed'],
  ['https://doc.allowed.example/', 'address_not_allowed'],
  [`https://replicate.delivery:${P}/`, 'address_not_allowed'],
  ['https://pbxt.replicate.delivery/x.png', 'address_not_allowed'],
  [`https://ALLOWED.EXAMPLE.:${P}/`, 'address_not_allowed'],
];

const lookAlikes: Case[] = [
  [`https://allowed.example.evil.test:${P}/`, 'host_not_allowed'],
  ['https://evilallowed.example/', 'host_not_allowed'],
  ['https://replicate.delivery.evil.test/', 'host_not_allowed'],
  ['https://evilreplicate.delivery/', 'host_not_allowed'],
  ['https://replicate-delivery.test/', 'host_not_allowed'],
  ['https://v3.fal.media/files/a.png', 'host_not_allowed'],
  ['https://example.blob.core.windows.net/a.png', 'host_not_allowed'],
];

const redirects: Case[] = [
  [R(`https://127.0.0.1:${P}/`), 'address_not_allowed'],
  [R(`https://127.0.0.1:${P}/`, 301), 'address_not_allowed'],
  [R(`https://127.0.0.1:${P}/`, 303), 'address_not_allowed'],
  [R(`https://127.0.0.1:${P}/`, 307), 'address_not_allowed'],
  [R(`https://127.0.0.1:${P}/`, 308), 'address_not_allowed'],
  [R(`http://127.0.0.1:${P}/`), 'scheme_not_allowed'],
  [R(`http://localhost:${P}/`), 'scheme_not_allowed'],
  [R(`http://[::1]:${P}/`), 'scheme_not_allowed'],
  [R(`//127.0.0.1:${P}/`), 'scheme_not_allowed'],
  [R(`https://[::ffff:127.0.0.1]:${P}/`), 'address_not_allowed'],
  [R(`https://[::1]:${P}/`), 'address_not_allowed'],
  [R(`https://2130706433:${P}/`), 'address_not_allowed'],
  [R(`https://0x7f.1:${P}/`), 'address_not_allowed'],
  [R(`https://0.0.0.0:${P}/`), 'address_not_allowed'],
  [R('https://169.254.169.254/latest/meta-data/'), 'address_not_allowed'],
  [R('https://10.0.0.1/'), 'address_not_allowed'],
  [R(`https://rebind.allowed.example:${P}/`), 'address_not_allowed'],
  [R(`https://mixed.allowed.example:${P}/`), 'address_not_allowed'],
  [R(`https://localhost:${P}/`), 'host_not_allowed'],
  [R('https://metadata.google.internal/computeMetadata/v1/'), 'host_not_allowed'],
  [R('file:///etc/passwd'), 'scheme_not_allowed'],
  [R(`gopher://127.0.0.1:${P}/_x`), 'scheme_not_allowed'],
  [R('data:text/plain,hi'), 'scheme_not_allowed'],
  [R(`https://user@allowed.example:${P}/`), 'userinfo_not_allowed'],
  [R('https://[fe80::1%25eth0]/'), 'invalid_url'],
  [C(1, `https://127.0.0.1:${P}/`), 'address_not_allowed'],
  [C(2, `https://[::1]:${P}/`), 'address_not_allowed'],
  [C(2, `https://rebind.allowed.example:${P}/`), 'address_not_allowed'],
  [C(3, `https://127.0.0.1:${P}/`), 'too_many_redirects'],
  [C(5, '/ok'), 'too_many_redirects'],
  ['{test}/loop', 'too_many_redirects'],
];

const corpus: Case[] = [
  ...loopbackEncodings,
  ...loopbackNames,
  ...ipv6,
  ...privateRanges,
  ...metadata,
  ...userinfo,
  ...schemes,
  ...resolvesInside,
  ...lookAlikes,
  ...redirects,
];

let canary: Canary;
let test: TestHost;
let sockets: SocketWatch;
let fetcher: SafeFetcher;
const resolved: string[] = [];

beforeAll(async () => {
  canary = await startCanary();
  test = await startTestHost((request, response) => {
    const url = new URL(request.url ?? '/', 'http://test');
    const target = url.searchParams.get('u') ?? '/ok';
    const hops = Number(url.searchParams.get('n') ?? 0);
    if (url.pathname === '/to') response.writeHead(Number(url.searchParams.get('status')), { location: target }).end();
    else if (url.pathname === '/chain') response.writeHead(302, { location: hops > 0 ? C(hops - 1, target).replace('{test}', '') : target }).end();
    else if (url.pathname === '/loop') response.writeHead(302, { location: '/loop' }).end();
    else response.writeHead(200).end('fine');
  });
  fetcher = new SafeFetcher({
    allowedHosts: { replicate: ALLOWED },
    testHosts: [test.host],
    connectTimeoutMs: 2000,
    totalTimeoutMs: 5000,
    retryDelayMs: 5,
    resolve: async (name) => {
      resolved.push(name);
      // Anything unlisted resolves to loopback too: no answer here is ever a real destination.
      return dns[name] ?? ['127.0.0.1'];
    },
  });
  sockets = watchSockets();
});
afterAll(async () => {
  sockets?.stop();
  await canary?.stop();
  await test?.stop();
});

const expand = (url: string) => url.replaceAll(P, String(canary.port)).replaceAll(encodeURIComponent(P), String(canary.port)).replace('{test}', test.url);

describe('hostile result URLs', () => {
  it('has at least 100 of them', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(100);
    expect(new Set(corpus.map(([url]) => url)).size).toBe(corpus.length);
  });

  it.each(corpus)('%s → %s', async (raw, code) => {
    const url = expand(raw);
    const before = { resolved: resolved.length, connected: sockets.connected.length };

    const result = await fetcher.fetch(url, 'replicate');

    expect(result).toMatchObject({ ok: false, error: { code, retryable: false } });
    expect(canary.connections).toBe(0);
    // The only connections ever made go to the allowed test host (redirect cases).
    expect(sockets.connected.slice(before.connected).every((peer) => peer.endsWith(`:${test.port}`))).toBe(true);
    if (code === 'host_not_allowed' || code === 'scheme_not_allowed' || code === 'userinfo_not_allowed' || code === 'invalid_url') {
      expect(resolved.slice(before.resolved)).toEqual([]);
    }
  });

  it('made no connection to the canary and none outside the test host over the whole corpus', () => {
    expect(canary.connections).toBe(0);
    expect(sockets.connected.filter((peer) => !peer.endsWith(`:${test.port}`))).toEqual([]);
    expect(sockets.connected.length).toBeGreaterThan(0);
  });

  it('would have noticed: the canary and the socket watch see a direct connection (control)', async () => {
    for (const host of ['127.0.0.1', '127.0.0.2', '0.0.0.0']) {
      await new Promise<void>((resolve) => connect(canary.port, host).once('close', () => resolve()).once('error', () => resolve()));
    }
    await eventually(() => canary.connections === 3);
    expect(sockets.connected.filter((peer) => peer.endsWith(`:${canary.port}`))).toHaveLength(3);
  });
});

async function eventually(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}
