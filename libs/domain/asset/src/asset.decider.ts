import type { AssetEvent } from '@darkroom/contracts';
import type { Decider } from '@darkroom/kernel';
import type { AssetCommand } from './asset.commands';
import { decideAsset } from './asset.decide';
import { evolveAsset, initialAssetState, type AssetState } from './asset.state';

/** One stored output, stream `asset-{assetId}` (DESIGN.md §4). */
export const assetDecider: Decider<AssetCommand, AssetEvent, AssetState> = {
  initialState: initialAssetState,
  evolve: evolveAsset,
  decide: decideAsset,
};
