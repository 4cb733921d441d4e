import { describe, expect, it } from '@jest/globals';
import { hostNameRefusal } from './public-host-policy';
import { SafePoster } from './safe-post';

describe('hostNameRefusal', () => {
  it('refuses localhost in any spelling and every name under it', () => {
    for (const name of ['localhost', 'localhost.', 'LOCALHOST', 'api.localhost', 'a.b.localhost.']) {
      expect(hostNameRefusal(name)).toMatch(/under localhost/);
    }
  });

  it('refuses internal suffixes and wildcard DNS services', () => {
    for (const name of ['metadata.google.internal', 'printer.local', 'nas.lan', 'router.home.arpa', '10.0.0.1.nip.io', '127.0.0.1.sslip.io', 'x.localtest.me', 'app.lvh.me']) {
      expect(hostNameRefusal(name)).toBeDefined();
    }
  });

  it('refuses single-label names, resolved only on a local network', () => {
    expect(hostNameRefusal('metadata')).toMatch(/single-label/);
    expect(hostNameRefusal('intranet.')).toBeDefined();
  });

  it('refuses literal addresses in private, loopback, link-local and reserved ranges', () => {
    for (const address of ['127.0.0.1', '10.0.0.1', '192.168.1.1', '172.16.0.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '240.0.0.1', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1']) {
      expect(hostNameRefusal(address)).toBeDefined();
    }
  });

  it('lets public names and addresses through, look-alikes included', () => {
    for (const name of ['example.com', 'hooks.example.com.', 'localhost.example.com', 'internal.example.com', 'nip.io.example.com', '93.184.216.34', '2606:4700::1111']) {
      expect(hostNameRefusal(name)).toBeUndefined();
    }
  });
});

describe('SafePoster.hostRefusal', () => {
  const poster = (addresses: Record<string, readonly string[]>, options: { resolveTimeoutMs?: number; testHosts?: string[] } = {}) =>
    new SafePoster({
      ...options,
      resolve: (hostname) => (hostname in addresses ? Promise.resolve(addresses[hostname]) : new Promise<readonly string[]>(() => undefined)),
    });

  it('refuses port 0, internal names and names resolving to non-public addresses', async () => {
    const check = poster({ 'rebind.example.com': ['93.184.216.34', '10.1.2.3'] });
    expect(await check.hostRefusal('https://example.com:0/hook')).toMatchObject({ code: 'port_not_allowed' });
    expect(await check.hostRefusal('https://metadata.google.internal/')).toMatchObject({ code: 'host_not_allowed' });
    expect(await check.hostRefusal('https://localhost./')).toMatchObject({ code: 'host_not_allowed' });
    expect(await check.hostRefusal('https://rebind.example.com/hook')).toMatchObject({ code: 'address_not_allowed', message: expect.stringContaining('10.1.2.3') });
  });

  it('passes a name resolving to public addresses, and one that does not resolve in time', async () => {
    const check = poster({ 'hooks.example.com': ['93.184.216.34', '2606:4700::1111'] }, { resolveTimeoutMs: 20 });
    expect(await check.hostRefusal('https://hooks.example.com/darkroom')).toBeUndefined();
    expect(await check.hostRefusal('https://slow.example.com/darkroom')).toBeUndefined();
  });

  it('keeps what refusal refuses, and lets configured test hosts through unresolved', async () => {
    const check = poster({}, { testHosts: ['127.0.0.1:8080'] });
    expect(await check.hostRefusal('http://example.com/')).toMatchObject({ code: 'scheme_not_allowed' });
    expect(await check.hostRefusal('http://127.0.0.1:8080/hook')).toBeUndefined();
  });
});
