import { decodeLedgerCursor, encodeLedgerCursor } from './ledger-cursor';

describe('ledger entry cursor', () => {
  it.each(['1', '42', '9223372036854775807'])('round-trips position %s', (position) => {
    expect(decodeLedgerCursor(encodeLedgerCursor(position))).toBe(position);
  });

  it('is opaque url-safe text', () => {
    expect(encodeLedgerCursor('123456')).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'a+b/c='],
    ['a bare number', '42'],
    ['another prefix', Buffer.from('gen1:42').toString('base64url')],
    ['a zero position', Buffer.from('le1:0').toString('base64url')],
    ['a negative position', Buffer.from('le1:-5').toString('base64url')],
    ['a position beyond bigint', Buffer.from('le1:9223372036854775808').toString('base64url')],
    ['trailing text', Buffer.from('le1:42 OR 1=1').toString('base64url')],
  ])('refuses %s', (_, cursor) => {
    expect(decodeLedgerCursor(cursor)).toBeUndefined();
  });
});
