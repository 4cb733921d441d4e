import { createReadStream } from 'node:fs';
import { Inject, Injectable } from '@nestjs/common';
import type { InputImageRef } from '@darkroom/contracts';
import { DomainError, newId } from '@darkroom/kernel';
import type { ObjectStorage } from '@darkroom/object-storage';
import { ImageDecoder } from '@darkroom/providers';
import { OBJECT_STORAGE } from '@darkroom/runtime';
import { HttpProblem } from '../http/http-problem';
import { isUuid } from '../http/ids';
import type { ReceivedFile } from './multipart-receiver';
import { sniffImage } from './sniff-image';
import { UploadsRepository, type UploadRow } from './uploads.repository';

/** Object key of an upload (DESIGN §7 layout, beside the account's generations). */
export const uploadKey = (accountId: string, uploadId: string, extension: string): string =>
  `accounts/${accountId}/uploads/${uploadId}.${extension}`;

/** Where a request names its uploads; field errors point at these. */
export type UploadField = 'input_images' | 'reference_images';

/** Input images for edits: checked to be what they claim, stored, and resolved per owner. */
@Injectable()
export class UploadsService {
  constructor(
    @Inject(OBJECT_STORAGE) private readonly objects: ObjectStorage,
    private readonly uploads: UploadsRepository,
    private readonly images: ImageDecoder,
  ) {}

  /** Stores the bytes first: an object without a row is unreachable, a row without its object is broken. */
  async create(accountId: string, file: ReceivedFile): Promise<UploadRow> {
    const sniffed = await sniffImage(file, this.images);
    if (!sniffed.ok) {
      if (sniffed.reason === 'unsupported_media_type') throw new HttpProblem(415, sniffed.reason, sniffed.message);
      throw new DomainError(sniffed.reason, 'validation', sniffed.message, { field: 'file' });
    }
    const { image } = sniffed;
    const id = newId();
    const key = uploadKey(accountId, id, image.extension);
    await this.objects.putObject(key, createReadStream(file.path), {
      contentType: image.contentType,
      contentLength: image.bytes,
      metadata: { sha256: image.sha256, 'upload-id': id },
    });
    return this.uploads.insert({
      id,
      accountId,
      key,
      contentType: image.contentType,
      bytes: image.bytes,
      width: image.width,
      height: image.height,
      sha256: image.sha256,
    });
  }

  /** The caller's upload; another account's id is indistinguishable from a missing one. */
  async get(accountId: string, id: string): Promise<UploadRow> {
    const normalized = id.toLowerCase();
    const upload = isUuid(id) ? (await this.uploads.findOwned(accountId, [normalized])).get(normalized) : undefined;
    if (!upload) throw new DomainError('upload_not_found', 'not_found', `No upload ${id}.`);
    return upload;
  }

  /**
   * The caller's uploads named in a request, in the order given. Every id that is unknown
   * or another account's is listed in one `upload_not_found` error on its field.
   */
  async resolve(
    accountId: string,
    requested: Readonly<Record<UploadField, readonly string[]>>,
  ): Promise<Record<UploadField, InputImageRef[]> & { readonly inputSize?: { width: number; height: number } }> {
    const ids = [...requested.input_images, ...requested.reference_images].map((id) => id.toLowerCase());
    const owned = await this.uploads.findOwned(accountId, ids);
    const errors: { field: UploadField; message: string }[] = [];
    const refsOf = (field: UploadField) =>
      requested[field].flatMap((raw) => {
        const upload = owned.get(raw.toLowerCase());
        if (!upload) {
          errors.push({ field, message: `no upload ${raw}` });
          return [];
        }
        return [{ uploadId: upload.id, key: upload.key, contentType: upload.contentType }];
      });
    const refs = { input_images: refsOf('input_images'), reference_images: refsOf('reference_images') };
    if (errors.length > 0) {
      throw new DomainError('upload_not_found', 'validation', 'The request names uploads this account does not have.', {
        errors,
      });
    }
    const first = owned.get(requested.input_images[0]?.toLowerCase() ?? '');
    return first ? { ...refs, inputSize: { width: first.width, height: first.height } } : refs;
  }
}
