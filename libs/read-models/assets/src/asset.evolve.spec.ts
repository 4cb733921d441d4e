import type { AssetEvent } from '@darkroom/contracts';
import { evolveAsset, type AssetRow } from './asset.evolve';

describe('assets projection', () => {
  it('makes a row of a stored output, not yet deleted', () => {
    expect(project([stored()])).toEqual({
      id: 'x0',
      taskId: 't1',
      accountId: 'a1',
      index: 0,
      key: 'k/0',
      contentType: 'image/png',
      bytes: 100,
      sha256: 'sha-x0',
      width: 64,
      height: 64,
      storedAt: at,
      deletedAt: null,
    });
  });

  it('makes no row of a rejected output', () => {
    expect(project([rejected()])).toBeUndefined();
  });

  it('marks a stored asset deleted when retention removes it', () => {
    const deleted: AssetEvent = { type: 'AssetDeleted', data: { assetId: 'x0', taskId: 't1', deletedAt: later } };
    expect(project([stored(), deleted])?.deletedAt).toBe(later);
  });
});

const at = '2026-01-01T00:00:00.000Z';
const later = '2026-02-01T00:00:00.000Z';

function project(events: AssetEvent[]): AssetRow | undefined {
  return events.reduce<AssetRow | undefined>(evolveAsset, undefined);
}

function stored(): AssetEvent {
  return {
    type: 'AssetStored',
    data: {
      assetId: 'x0',
      taskId: 't1',
      accountId: 'a1',
      index: 0,
      outputCount: 1,
      key: 'k/0',
      sha256: 'sha-x0',
      bytes: 100,
      contentType: 'image/png',
      width: 64,
      height: 64,
      storedAt: at,
    },
  };
}

function rejected(): AssetEvent {
  return { type: 'AssetRejected', data: { assetId: 'x0', taskId: 't1', accountId: 'a1', index: 0, reason: 'not an image', rejectedAt: at } };
}
