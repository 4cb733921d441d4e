import type { Readable } from 'node:stream';

export interface PutObjectOptions {
  readonly contentType: string;
  /** Bytes in `body`. Needed to stream a Readable straight through; without it the body is buffered first. */
  readonly contentLength?: number;
  /** User metadata (S3 `x-amz-meta-*`): lower-case keys, ASCII values. */
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface PutObjectResult {
  /** The store's entity tag, without the surrounding quotes S3 puts on it. */
  readonly etag?: string;
}

export interface ObjectMetadata {
  readonly contentType: string;
  /** Bytes. */
  readonly contentLength: number;
  /** User metadata as stored; S3 returns keys in lower case. */
  readonly metadata: Readonly<Record<string, string>>;
  readonly etag?: string;
}

export interface StoredObject extends ObjectMetadata {
  /** Must be consumed or destroyed, or the connection stays busy. */
  readonly body: Readable;
}

/** The key is not in the bucket. */
export class ObjectNotFound extends Error {
  readonly code = 'object_not_found';

  constructor(readonly key: string) {
    super(`Object not found: ${key}`);
    this.name = 'ObjectNotFound';
  }
}

/** One bucket of an S3-compatible store; keys are relative to it. */
export interface ListObjectsOptions {
  readonly prefix?: string;
  readonly startAfter?: string;
  /** At most 1,000 (S3's page). */
  readonly limit: number;
}

export interface ListedObject {
  readonly key: string;
  readonly lastModified: Date;
}

export interface ObjectPage {
  readonly objects: readonly ListedObject[];
  readonly more: boolean;
}

export interface ObjectStorage {
  putObject(key: string, body: Buffer | Readable, options: PutObjectOptions): Promise<PutObjectResult>;
  /** @throws ObjectNotFound */
  getObject(key: string): Promise<StoredObject>;
  /** The whole object in memory. @throws ObjectNotFound */
  getObjectBytes(key: string): Promise<Buffer>;
  /** Metadata without the body, or undefined when the key is missing (or the bucket: a HEAD 404 does not say which). */
  headObject(key: string): Promise<ObjectMetadata | undefined>;
  /** Succeeds whether or not the key exists. */
  deleteObject(key: string): Promise<void>;
  /**
   * A URL anyone holding it may GET the object from until it expires (providers fetch edit
   * inputs this way). Signing is local: the key is not checked to exist.
   */
  presignGet(key: string, expiresInSeconds: number): Promise<string>;
  /**
   * Up to `limit` keys in key order after `startAfter` (from the first when absent), under
   * `prefix`; `more` says whether keys follow. For sweeps that walk the bucket a page at a time.
   */
  listObjects(options: ListObjectsOptions): Promise<ObjectPage>;
  /** Creates the bucket if it is missing; safe to call any number of times. */
  ensureBucket(): Promise<void>;
  /** Resolves when the bucket answers (S3 HeadBucket), rejects with why not; for readiness checks. */
  probe(): Promise<void>;
}
