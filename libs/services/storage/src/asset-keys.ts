import { deriveId } from '@darkroom/kernel';

/** One asset per task output; deriving the id makes storing an output twice a no-op. */
export const assetIdFor = (taskId: string, index: number): string => deriveId('asset', taskId, index);

const extensions: Readonly<Record<string, string>> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'image/gif': 'gif',
};

/** DESIGN §7 key layout. */
export const assetKey = (accountId: string, taskId: string, index: number, contentType: string): string =>
  `accounts/${accountId}/generations/${taskId}/${index}.${extensions[contentType] ?? 'bin'}`;
