import type { Upload } from './api/types';

/** What the Generate form starts from: a reused prompt, or an image to edit. */
export interface Draft {
  readonly version: number;
  readonly model?: string;
  readonly prompt?: string;
  readonly inputImages?: readonly { readonly upload: Upload; readonly previewUrl: string }[];
}
