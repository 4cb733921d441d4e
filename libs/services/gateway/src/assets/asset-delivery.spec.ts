import { describe, expect, it } from '@jest/globals';
import { assetCacheControl, assetEtag, etagMatches, publicAssetUrl } from './asset-delivery';

const sha = 'a'.repeat(64);
const etag = assetEtag(sha);

describe('assetCacheControl', () => {
  it('caches a redirect to a presigned URL privately, for less than the URL lives', () => {
    expect(assetCacheControl({ mode: 'presigned', ttlSeconds: 300 })).toBe('private, max-age=240');
    expect(assetCacheControl({ mode: 'presigned', ttlSeconds: 10 })).toBe('private, max-age=8');
  });

  it('lets anyone cache the redirect to a stable CDN URL forever', () => {
    expect(assetCacheControl({ mode: 'public', baseUrl: 'https://img.example.com' })).toBe('public, max-age=31536000, immutable');
  });

  it('keeps proxied bytes private but immutable', () => {
    expect(assetCacheControl({ mode: 'proxy' })).toBe('private, max-age=31536000, immutable');
  });
});

describe('etagMatches', () => {
  it('matches the quoted sha256, weak or strong, alone or in a list', () => {
    expect(etagMatches(etag, etag)).toBe(true);
    expect(etagMatches(`W/${etag}`, etag)).toBe(true);
    expect(etagMatches(`"other", ${etag}`, etag)).toBe(true);
    expect(etagMatches(['"other"', etag], etag)).toBe(true);
    expect(etagMatches('*', etag)).toBe(true);
  });

  it('does not match another tag, the bare sha256 or nothing', () => {
    expect(etagMatches('"b"', etag)).toBe(false);
    expect(etagMatches(sha, etag)).toBe(false);
    expect(etagMatches('', etag)).toBe(false);
    expect(etagMatches(undefined, etag)).toBe(false);
  });
});

describe('publicAssetUrl', () => {
  it('puts the object key under the CDN base, segment by segment', () => {
    expect(publicAssetUrl('https://img.example.com', 'accounts/a1/generations/t1/0.png')).toBe(
      'https://img.example.com/accounts/a1/generations/t1/0.png',
    );
    expect(publicAssetUrl('https://cdn.example.com/darkroom', 'a b/c#d.png')).toBe('https://cdn.example.com/darkroom/a%20b/c%23d.png');
  });
});
