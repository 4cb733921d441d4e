import type { TaskAsset } from '../api/types';
import { useAssetUrl } from '../hooks';

/** A stored image, fetched with the API key (an <img> cannot send one). */
export function AssetImage({ apiKey, asset, alt, className }: { apiKey: string; asset: TaskAsset; alt: string; className?: string }) {
  const { url, error } = useAssetUrl(apiKey, asset.expired ? undefined : asset.id);
  if (asset.expired) return <div className={`image-placeholder ${className ?? ''}`}>Deleted by retention</div>;
  if (error) return <div className={`image-placeholder ${className ?? ''}`}>{error}</div>;
  if (!url) return <div className={`image-placeholder ${className ?? ''}`} aria-busy="true" aria-label={`Loading ${alt}`} />;
  return <img className={className} src={url} alt={alt} width={asset.width} height={asset.height} data-asset-id={asset.id} />;
}
