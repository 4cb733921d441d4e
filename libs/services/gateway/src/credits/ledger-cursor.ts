/**
 * The opaque `next_cursor` of the credit entry list: the global log position of the last
 * entry of a page, versioned and base64url-encoded so clients do not build it themselves.
 */
const PREFIX = 'le1:';

export function encodeLedgerCursor(globalPosition: string): string {
  return Buffer.from(`${PREFIX}${globalPosition}`, 'utf8').toString('base64url');
}

/** The position a cursor names, or undefined when it is not one this server issued. */
export function decodeLedgerCursor(cursor: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) return undefined;
  const match = /^le1:([1-9]\d{0,18})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match && BigInt(match[1]) <= 9_223_372_036_854_775_807n ? match[1] : undefined;
}
