import type { ProviderSubmitRequest } from './image-provider';

/** A text-to-image submit request for adapter specs; each spec sets what it cares about. */
export const submitRequest = (fields: Partial<ProviderSubmitRequest> & Pick<ProviderSubmitRequest, 'providerModel'>): ProviderSubmitRequest => ({
  taskId: 'task-1',
  attempt: 1,
  prompt: 'a lighthouse',
  width: 512,
  height: 512,
  n: 1,
  seed: 42,
  inputImages: [],
  referenceImages: [],
  ...fields,
});
