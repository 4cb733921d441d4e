import type { UploadRow } from './uploads.repository';

/** An upload as `POST /v1/uploads` and `GET /v1/uploads/{id}` return it (snake_case). */
export const toUploadResource = (upload: UploadRow) => ({
  id: upload.id,
  object: 'upload',
  content_type: upload.contentType,
  bytes: upload.bytes,
  width: upload.width,
  height: upload.height,
  sha256: upload.sha256,
  created_at: upload.createdAt,
});
