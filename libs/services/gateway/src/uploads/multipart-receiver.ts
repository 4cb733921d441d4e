import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { BODY_IDLE_TIMEOUT_MS } from '../http/body/body-limits';
import { HttpProblem } from '../http/http-problem';
import { looksLikeImage, MAGIC_BYTES } from './image-magic';
import { MAX_MULTIPART_FIELD_BYTES } from './upload-limits';

/** One file part, as written to a temp file while it arrived. */
export interface ReceivedFile {
  readonly path: string;
  readonly bytes: number;
  /** Hex digest of the bytes as sent. */
  readonly sha256: string;
}

/** What a route takes from a multipart body. */
export interface MultipartSpec {
  /** File parts taken, by field name, with how many each may hold. */
  readonly files: Readonly<Record<string, number>>;
  /** File fields refused the moment they appear, with the error to answer. */
  readonly refuse?: Readonly<Record<string, () => Error>>;
  readonly maxFileBytes: number;
  /** Every byte of the body, files, fields and framing together. */
  readonly maxRequestBytes: number;
  readonly maxFields: number;
}

export interface ReceivedMultipart {
  readonly files: Readonly<Record<string, readonly ReceivedFile[]>>;
  readonly fields: Readonly<Record<string, string>>;
  /** Removes the temp files; call once the request is answered. */
  dispose(): Promise<void>;
}

const megabytes = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;

/** Why a multipart body was refused before its end; every one is answered at once. */
const refusals = {
  fileTooLarge: (max: number) => new HttpProblem(413, 'upload_too_large', `Uploads are limited to ${megabytes(max)} a file.`),
  requestTooLarge: (max: number) =>
    new HttpProblem(413, 'upload_too_large', `This request is limited to ${megabytes(max)} of files and fields.`, { limit_bytes: max }),
  notAnImage: () => new HttpProblem(415, 'unsupported_media_type', 'Upload a PNG, JPEG or WebP image; this file is not one.'),
  unexpectedFile: (field: string) =>
    new HttpProblem(400, 'invalid_request', `This route takes no file named "${field}".`, { errors: [{ field, message: 'unexpected file' }] }),
  tooManyFiles: (field: string, max: number) =>
    new HttpProblem(413, 'upload_too_large', `At most ${max} file(s) named "${field}".`, { errors: [{ field, message: `at most ${max}` }] }),
  fieldTooLarge: (field: string) =>
    new HttpProblem(413, 'payload_too_large', `The field "${field}" is over ${MAX_MULTIPART_FIELD_BYTES / 1024} KB.`),
  tooManyParts: () => new HttpProblem(413, 'payload_too_large', 'The request has too many parts.'),
  malformed: (reason: string) => new HttpProblem(400, 'malformed_request', `The multipart body could not be read: ${reason}`),
  idle: () => new HttpProblem(408, 'request_timeout', `The request body sent nothing for ${BODY_IDLE_TIMEOUT_MS / 1000} s.`),
};

/**
 * Counts, hashes and sniffs a file's bytes on their way to disk. A file whose first bytes
 * are not an image is written no further and refused (415) at its end, unless it passes
 * the size cap first: over the cap is always 413, the moment it happens.
 */
function checkedFile(maxBytes: number, done: (bytes: number, sha256: string) => void): Transform {
  const hash = createHash('sha256');
  let bytes = 0;
  let head = Buffer.alloc(0);
  let verdict: boolean | undefined;
  return new Transform({
    transform(chunk: Buffer, _encoding, next) {
      bytes += chunk.length;
      if (bytes > maxBytes) return next(refusals.fileTooLarge(maxBytes));
      if (verdict === undefined) {
        head = Buffer.concat([head, chunk.subarray(0, MAGIC_BYTES)]).subarray(0, MAGIC_BYTES);
        verdict = looksLikeImage(head, false);
      }
      if (verdict === false) return next();
      hash.update(chunk);
      next(null, chunk);
    },
    flush(next) {
      // An empty file is left to the image checks, which name it.
      if (verdict === undefined && bytes > 0) verdict = looksLikeImage(head, true);
      if (verdict === false) return next(refusals.notAnImage());
      done(bytes, hash.digest('hex'));
      next();
    },
  });
}

/**
 * Reads a multipart body as it arrives (busboy), each file straight to a temp file of its
 * own, never whole in memory: a file part is sniffed on its first bytes, and one that is
 * not a PNG, JPEG or WebP is discarded from there and refused at its end; a file over `maxFileBytes`, a body over
 * `maxRequestBytes` (or declaring more), an unexpected or refused file field and a quiet body are refused the
 * moment they happen, with the rest left unread (the caller answers and closes). The temp
 * files go under `parent` (the process's `UploadTempDirectory`).
 */
export async function receiveMultipart(request: IncomingMessage, spec: MultipartSpec, parent = tmpdir()): Promise<ReceivedMultipart> {
  // A declared length over the cap is refused from the header, before a byte is read.
  if (Number(request.headers['content-length'] ?? 0) > spec.maxRequestBytes) throw refusals.requestTooLarge(spec.maxRequestBytes);
  const directory = await mkdtemp(join(parent, 'darkroom-upload-'));
  const files: Record<string, ReceivedFile[]> = {};
  const fields: Record<string, string> = {};
  const dispose = () => rm(directory, { recursive: true, force: true });
  try {
    await parse(request, spec, (field) => (files[field] ??= []), fields, directory);
    return { files, fields, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

function parse(
  request: IncomingMessage,
  spec: MultipartSpec,
  filesOf: (field: string) => ReceivedFile[],
  fields: Record<string, string>,
  directory: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: request.headers,
        limits: { fields: spec.maxFields, fieldSize: MAX_MULTIPART_FIELD_BYTES, parts: spec.maxFields + 64, headerPairs: 64 },
      });
    } catch (error) {
      return reject(refusals.malformed(error instanceof Error ? error.message : String(error)));
    }
    const writes: Promise<void>[] = [];
    let received = 0;
    let settled = false;
    const settle = (error?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(idle);
      request.off('data', count);
      request.off('aborted', aborted);
      if (error === undefined) return resolve();
      // Stop reading: the caller answers and closes the connection rather than drain the rest.
      request.unpipe(parser);
      request.pause();
      parser.destroy();
      reject(error);
    };
    const idle = setTimeout(() => settle(refusals.idle()), BODY_IDLE_TIMEOUT_MS);
    const count = (chunk: Buffer) => {
      idle.refresh();
      received += chunk.length;
      if (received > spec.maxRequestBytes) settle(refusals.requestTooLarge(spec.maxRequestBytes));
    };
    const aborted = () => settle(refusals.malformed('the client closed the connection'));

    parser.on('file', (field: string, stream: Readable) => {
      const refused = spec.refuse?.[field];
      const allowed = spec.files[field];
      const taken = allowed === undefined ? [] : filesOf(field);
      if (refused || allowed === undefined || taken.length >= allowed) {
        // Drained and ignored: busboy errors it once the parser stops.
        stream.on('error', () => undefined).resume();
        return settle(refused ? refused() : allowed === undefined ? refusals.unexpectedFile(field) : refusals.tooManyFiles(field, allowed));
      }
      const path = join(directory, `${field.replace(/\W/g, '_')}-${taken.length}`);
      const at = taken.length;
      taken.push({ path, bytes: 0, sha256: '' });
      const check = checkedFile(spec.maxFileBytes, (bytes, sha256) => (taken[at] = { path, bytes, sha256 }));
      writes.push(
        pipeline(stream, check, createWriteStream(path, { flags: 'wx' })).catch((error: unknown) =>
          settle(error instanceof HttpProblem ? error : refusals.malformed('the file part ended early')),
        ),
      );
    });
    parser.on('field', (field: string, value: string, info: busboy.FieldInfo) => {
      if (info.valueTruncated || info.nameTruncated) return settle(refusals.fieldTooLarge(field));
      fields[field] = value;
    });
    parser.on('partsLimit', () => settle(refusals.tooManyParts()));
    parser.on('fieldsLimit', () => settle(refusals.tooManyParts()));
    parser.on('error', (error: Error) => settle(refusals.malformed(error.message)));
    parser.on('close', () => {
      void Promise.all(writes).then(() => settle());
    });
    request.on('data', count);
    request.on('aborted', aborted);
    request.pipe(parser);
  });
}
