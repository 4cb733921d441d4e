import { describe, expect, it, jest } from '@jest/globals';
import { decodeBase64Capped } from './decode-base64-capped';

describe('decodeBase64Capped', () => {
  it('decodes standard, URL-safe and wrapped base64 within the cap', () => {
    expect(decodeBase64Capped(Buffer.from('png bytes').toString('base64'), 9)).toEqual({ ok: true, bytes: Buffer.from('png bytes') });
    expect(decodeBase64Capped('-_8=', 2)).toEqual({ ok: true, bytes: Buffer.from([0xfb, 0xff]) });
    // Line breaks count towards the bound (15 characters: up to 11 bytes).
    expect(decodeBase64Capped('cG5n\nIGJ5\r\ndGVz', 11)).toEqual({ ok: true, bytes: Buffer.from('png bytes') });
  });

  it('refuses text that could decode past the cap, before decoding anything', () => {
    const from = jest.spyOn(Buffer, 'from');
    const huge = 'A'.repeat(4 * 1024 * 1024);
    expect(decodeBase64Capped(huge, 1024 * 1024)).toMatchObject({ ok: false, reason: 'too_large' });
    expect(decodeBase64Capped('AAAAAA==', 3)).toMatchObject({ ok: false, reason: 'too_large' });
    expect(from).not.toHaveBeenCalled();
    from.mockRestore();
  });

  it('counts padding out of the bound, so a payload exactly at the cap passes', () => {
    expect(decodeBase64Capped('AAAA', 3)).toMatchObject({ ok: true });
    expect(decodeBase64Capped('AAA=', 2)).toMatchObject({ ok: true });
    expect(decodeBase64Capped('AA==', 1)).toMatchObject({ ok: true });
  });

  it('refuses text that is not base64', () => {
    expect(decodeBase64Capped('<html>', 100)).toMatchObject({ ok: false, reason: 'invalid_base64' });
    expect(decodeBase64Capped('data:image/png;base64,AAAA', 100)).toMatchObject({ ok: false, reason: 'invalid_base64' });
  });
});
