import type { LogPosition } from '@darkroom/contracts';

/** Orders two log positions as the log does: by transaction id, then global position. */
export function comparePositions(a: LogPosition, b: LogPosition): number {
  const byTransaction = BigInt(a.transactionId) - BigInt(b.transactionId);
  if (byTransaction !== 0n) return byTransaction < 0n ? -1 : 1;
  const byPosition = BigInt(a.globalPosition) - BigInt(b.globalPosition);
  return byPosition === 0n ? 0 : byPosition < 0n ? -1 : 1;
}

export const positionOf = (position: LogPosition): LogPosition => ({
  transactionId: position.transactionId,
  globalPosition: position.globalPosition,
});
