import { describe, expect, it } from '@jest/globals';
import { checkUrl, hostAllowed, normaliseTestHosts } from './url-policy';

const policy = {
  allowedHosts: { fal: ['v3.fal.media', '*.fal.media'], replicate: ['replicate.delivery', '*.replicate.delivery'] },
  testHosts: normaliseTestHosts(['127.0.0.1:8080', 'LOCALHOST:9090', '[::1]:7070']),
};

describe('host allowlist', () => {
  it('matches exact names and any subdomain of a wildcard, not the wildcard’s own name', () => {
    expect(hostAllowed('replicate.delivery', ['replicate.delivery'])).toBe(true);
    expect(hostAllowed('pbxt.replicate.delivery', ['*.replicate.delivery'])).toBe(true);
    expect(hostAllowed('a.b.replicate.delivery', ['*.replicate.delivery'])).toBe(true);
    expect(hostAllowed('replicate.delivery', ['*.replicate.delivery'])).toBe(false);
    expect(hostAllowed('v3.fal.media.', ['v3.fal.media'])).toBe(true);
  });

  it('does not match look-alikes', () => {
    for (const name of ['evilreplicate.delivery', 'replicate.delivery.evil.test', 'replicate-delivery', 'delivery', 'xreplicate.delivery']) {
      expect(hostAllowed(name, ['replicate.delivery', '*.replicate.delivery'])).toBe(false);
    }
  });
});

describe('checkUrl', () => {
  it('passes an https URL on its provider’s list, to be address-checked at connect time', () => {
    expect(checkUrl('https://v3.fal.media/files/a.png', 'fal', policy)).toMatchObject({ hostname: 'v3.fal.media', checkAddress: true });
  });

  it('lets test hosts through on http, exempt from the address check, by exact host and port', () => {
    expect(checkUrl('http://127.0.0.1:8080/x', 'fal', policy)).toMatchObject({ hostname: '127.0.0.1', checkAddress: false });
    expect(checkUrl('http://localhost:9090/x', 'fal', policy)).toMatchObject({ hostname: 'localhost', checkAddress: false });
    expect(checkUrl('http://[::1]:7070/x', 'fal', policy)).toMatchObject({ hostname: '::1', checkAddress: false });
    expect(checkUrl('http://127.0.0.1:8081/x', 'fal', policy)).toMatchObject({ code: 'scheme_not_allowed' });
    expect(checkUrl('https://127.0.0.1:8081/x', 'fal', policy)).toMatchObject({ code: 'address_not_allowed' });
    expect(checkUrl('http://127.0.0.1/x', 'fal', policy)).toMatchObject({ code: 'scheme_not_allowed' });
  });

  it('refuses a provider with no list', () => {
    expect(checkUrl('https://v3.fal.media/a.png', 'bfl', policy)).toMatchObject({ code: 'host_not_allowed', retryable: false });
  });

  it('never puts the query (signatures) into the message', () => {
    const refused = checkUrl('https://evil.test/a.png?sig=secret', 'fal', policy);
    expect(JSON.stringify(refused)).not.toContain('secret');
  });
});
