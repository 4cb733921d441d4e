import type { ProviderOutput } from '@darkroom/contracts';
import type { ObjectStorage } from '@darkroom/object-storage';
import type { ProviderImage } from '@darkroom/providers';

/**
 * Where a provider's inline bytes wait for storage to validate and promote them; image
 * bytes never travel inside events (DESIGN §5.6).
 */
export const stagingKey = (taskId: string, attempt: number, index: number): string =>
  `staging/${taskId}/${attempt}/${index}`;

/**
 * A provider's images as the outputs its job records: inline bytes put under the staging
 * prefix, URLs passed on for storage to fetch. The same for a poll's answer and a callback's.
 */
export async function stageOutputs(
  objects: ObjectStorage,
  taskId: string,
  attempt: number,
  images: readonly ProviderImage[],
): Promise<ProviderOutput[]> {
  return Promise.all(
    images.map(async (image, index): Promise<ProviderOutput> => {
      if (image.kind === 'url') return { index, url: image.url, ...(image.contentType ? { contentType: image.contentType } : {}) };
      const key = stagingKey(taskId, attempt, index);
      await objects.putObject(key, image.bytes, {
        contentType: image.contentType,
        contentLength: image.bytes.length,
        metadata: { 'task-id': taskId },
      });
      return { index, stagingKey: key, contentType: image.contentType };
    }),
  );
}
