import type { AssetEvent } from '@darkroom/contracts';
import { assertNever } from '@darkroom/kernel';
import type { AssetCommand, RejectAsset, StoreAsset } from './asset.commands';
import type { AssetState } from './asset.state';

/** An asset is decided once: a redelivered store or reject, or a second delete, decides nothing. */
export function decideAsset(command: AssetCommand, state: AssetState): readonly AssetEvent[] {
  switch (command.type) {
    case 'StoreAsset':
      return state.status === 'initial' ? store(command) : [];
    case 'RejectAsset':
      return state.status === 'initial' ? reject(command) : [];
    case 'DeleteAsset':
      return state.status === 'stored'
        ? [{ type: 'AssetDeleted', data: { assetId: state.assetId, taskId: state.taskId, deletedAt: command.now } }]
        : [];
    default:
      return assertNever(command);
  }
}

function store(command: StoreAsset): readonly AssetEvent[] {
  const { assetId, taskId, accountId, index, outputCount, key, sha256, bytes, contentType, width, height, stagingKey, now } = command;
  return [
    {
      type: 'AssetStored',
      data: {
        assetId,
        taskId,
        accountId,
        index,
        outputCount,
        key,
        sha256,
        bytes,
        contentType,
        width,
        height,
        storedAt: now,
        ...(stagingKey === undefined ? {} : { stagingKey }),
      },
    },
  ];
}

function reject(command: RejectAsset): readonly AssetEvent[] {
  const { assetId, taskId, accountId, index, reason, code, stagingKey, now } = command;
  return [
    {
      type: 'AssetRejected',
      data: {
        assetId,
        taskId,
        accountId,
        index,
        reason,
        rejectedAt: now,
        ...(code === undefined ? {} : { code }),
        ...(stagingKey === undefined ? {} : { stagingKey }),
      },
    },
  ];
}
