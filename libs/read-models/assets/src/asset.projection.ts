import type { AssetEvent } from '@darkroom/contracts';
import type { RowProjection } from '@darkroom/projections';
import { evolveAsset, type AssetRow } from './asset.evolve';
import { loadAsset, saveAsset } from './asset.repository';

export const assetProjection: RowProjection<AssetRow, AssetEvent> = {
  name: 'assets',
  eventTypes: ['AssetStored', 'AssetRejected', 'AssetDeleted'],
  keyOf: (event) => event.data.assetId,
  evolve: evolveAsset,
  load: loadAsset,
  save: saveAsset,
};
