import { describe, it } from '@jest/globals';
import type { AssetEvent, AssetRejected, AssetStored } from '@darkroom/contracts';
import { deciderSpec } from '@darkroom/testing';
import type { AssetCommand, RejectAsset, StoreAsset } from './asset.commands';
import { assetDecider } from './asset.decider';

const assetId = 'asset-1';
const taskId = 'task-1';
const accountId = 'account-1';
const now = '2025-11-24T10:00:00.000Z';

const spec = deciderSpec(assetDecider);

describe('asset decider', () => {
  describe('initial', () => {
    it('stores an output', () => {
      spec.given([]).when(store()).then([stored()]);
    });

    it('rejects an output', () => {
      spec.given([]).when(reject('not an image')).then([rejected('not an image')]);
    });

    it('rejects an output blocked by moderation with its code and the staged copy to delete', () => {
      spec
        .given([])
        .when({ ...reject('blocked'), code: 'content_moderated', stagingKey: 'staging/task-1/1/0' })
        .then([{ type: 'AssetRejected', data: { ...rejected('blocked').data, code: 'content_moderated', stagingKey: 'staging/task-1/1/0' } }]);
    });

    it('stores an output promoted from staging, naming the staged copy', () => {
      spec
        .given([])
        .when({ ...store(), stagingKey: 'staging/task-1/1/0' })
        .then([{ type: 'AssetStored', data: { ...stored().data, stagingKey: 'staging/task-1/1/0' } }]);
    });

    it('ignores a delete of an asset never stored', () => {
      spec.given([]).when(remove()).then([]);
    });
  });

  describe('stored', () => {
    const history = (): AssetEvent[] => [stored()];

    it('ignores a redelivered store', () => {
      spec.given(history()).when(store()).then([]);
    });

    it('ignores a store of different bytes under the same id', () => {
      spec.given(history()).when(store({ sha256: 'f'.repeat(64), bytes: 1 })).then([]);
    });

    it('ignores a reject after the output was stored', () => {
      spec.given(history()).when(reject('late')).then([]);
    });

    it('deletes', () => {
      spec.given(history()).when(remove()).then([deleted()]);
    });
  });

  describe('rejected', () => {
    const history = (): AssetEvent[] => [rejected('not an image')];

    it('ignores a redelivered reject', () => {
      spec.given(history()).when(reject('not an image')).then([]);
    });

    it('ignores a store after the rejection', () => {
      spec.given(history()).when(store()).then([]);
    });

    it('ignores a delete', () => {
      spec.given(history()).when(remove()).then([]);
    });
  });

  describe('deleted', () => {
    const history = (): AssetEvent[] => [stored(), deleted()];

    it('does not delete twice', () => {
      spec.given(history()).when(remove()).then([]);
    });

    it('does not store a deleted asset again', () => {
      spec.given(history()).when(store()).then([]);
    });

    it('ignores a reject', () => {
      spec.given(history()).when(reject('late')).then([]);
    });
  });
});

function store(extra: { sha256?: string; bytes?: number } = {}): StoreAsset {
  return {
    type: 'StoreAsset',
    assetId,
    taskId,
    accountId,
    index: 0,
    outputCount: 2,
    key: 'assets/account-1/task-1/0.png',
    sha256: 'a'.repeat(64),
    bytes: 1234,
    contentType: 'image/png',
    width: 512,
    height: 512,
    ...extra,
    now,
  };
}

function reject(reason: string): RejectAsset {
  return { type: 'RejectAsset', assetId, taskId, accountId, index: 0, reason, now };
}

function remove(): AssetCommand {
  return { type: 'DeleteAsset', now };
}

function stored(): AssetStored {
  return {
    type: 'AssetStored',
    data: {
      assetId,
      taskId,
      accountId,
      index: 0,
      outputCount: 2,
      key: 'assets/account-1/task-1/0.png',
      sha256: 'a'.repeat(64),
      bytes: 1234,
      contentType: 'image/png',
      width: 512,
      height: 512,
      storedAt: now,
    },
  };
}

function rejected(reason: string): AssetRejected {
  return { type: 'AssetRejected', data: { assetId, taskId, accountId, index: 0, reason, rejectedAt: now } };
}

function deleted(): AssetEvent {
  return { type: 'AssetDeleted', data: { assetId, taskId, deletedAt: now } };
}
