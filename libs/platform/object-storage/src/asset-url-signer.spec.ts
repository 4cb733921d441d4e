import { describe, expect, it } from '@jest/globals';
import { AssetUrlSigner } from './asset-url-signer';

const now = new Date('2026-12-08T10:00:00Z');
const inAnHour = new Date('2026-12-08T11:00:00Z');
const asset = '0b5f2c9e-1d7a-4a8e-9f00-3c2b1a0d9e8f';

function query(url: string): { expires: string; signature: string } {
  const params = new URL(url).searchParams;
  return { expires: params.get('expires')!, signature: params.get('signature')! };
}

describe('asset URL signer', () => {
  const signer = new AssetUrlSigner(['current-key-0123456789', 'previous-key-0123456789']);
  const url = signer.url('https://api.example.com', asset, inAnHour);

  it('signs the asset URL with its expiry, and accepts it until then', () => {
    expect(url).toMatch(new RegExp(`^https://api\\.example\\.com/v1/assets/${asset}\\?expires=\\d+&signature=[A-Za-z0-9_-]{43}$`));
    const { expires, signature } = query(url);
    expect(Number(expires)).toBe(inAnHour.getTime() / 1000);
    expect(signer.refusal(asset, expires, signature, now)).toBeUndefined();
    expect(signer.refusal(asset, expires, signature, inAnHour)).toBe('expired');
  });

  it('refuses another asset, a changed expiry and a mangled signature', () => {
    const { expires, signature } = query(url);
    expect(signer.refusal('0b5f2c9e-1d7a-4a8e-9f00-3c2b1a0d9e80', expires, signature, now)).toBe('bad_signature');
    expect(signer.refusal(asset, String(Number(expires) + 3600), signature, now)).toBe('bad_signature');
    expect(signer.refusal(asset, expires, `${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`, now)).toBe('bad_signature');
    // 32 bytes leave the last character two unused bits: another spelling of the same bytes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sameBytes = `${signature.slice(0, -1)}${alphabet[alphabet.indexOf(signature.at(-1)!) ^ 1]}`;
    expect(Buffer.from(sameBytes, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
    expect(signer.refusal(asset, expires, sameBytes, now)).toBe('bad_signature');
    expect(signer.refusal(asset, expires, undefined, now)).toBe('malformed');
    expect(signer.refusal(asset, '1e9', signature, now)).toBe('malformed');
    expect(signer.refusal(asset, [expires], signature, now)).toBe('malformed');
  });

  it('accepts URLs of the previous key during a rotation, and none once every key is rotated', () => {
    const old = new AssetUrlSigner(['previous-key-0123456789']).url('https://api.example.com', asset, inAnHour);
    const { expires, signature } = query(old);
    expect(signer.refusal(asset, expires, signature, now)).toBeUndefined();
    expect(new AssetUrlSigner(['rotated-key-0123456789']).refusal(asset, expires, signature, now)).toBe('bad_signature');
  });

  it('refuses short keys', () => {
    expect(() => new AssetUrlSigner([])).toThrow();
    expect(() => new AssetUrlSigner(['short'])).toThrow();
  });
});
