import { describe, expect, it } from '@jest/globals';
import { decodeCursor, encodeCursor } from './generation-list.service';

describe('generation list cursors', () => {
  const keyset = { createdAt: '2026-11-24T02:05:20.123456Z', id: '00000000-0000-4000-8000-000000000001' };

  it('round-trips the keyset through an opaque URL-safe token', () => {
    const cursor = encodeCursor(keyset);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual(keyset);
  });

  it.each([
    ['not base64 json', 'not-a-cursor'],
    ['a JSON object', Buffer.from(JSON.stringify(keyset)).toString('base64url')],
    ['a bad id', Buffer.from(JSON.stringify([keyset.createdAt, 'x'])).toString('base64url')],
    ['a bad time', Buffer.from(JSON.stringify(['yesterday', keyset.id])).toString('base64url')],
  ])('refuses %s', (_, cursor) => {
    expect(decodeCursor(cursor)).toBeUndefined();
  });
});
