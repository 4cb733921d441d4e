import { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  PutObjectCommand,
  S3Client,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  ObjectNotFound,
  type ListObjectsOptions,
  type ObjectMetadata,
  type ObjectPage,
  type ObjectStorage,
  type PutObjectOptions,
  type PutObjectResult,
  type StoredObject,
} from './object-storage';

/** Works for AWS S3, Cloudflare R2 (region "auto"), MinIO and s3rver (both need forcePathStyle). */
export interface S3ObjectStorageConfig {
  /** Omit for AWS; e.g. "http://127.0.0.1:9000" for MinIO. */
  readonly endpoint?: string;
  readonly region: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** `endpoint/bucket/key` instead of `bucket.endpoint/key`. */
  readonly forcePathStyle: boolean;
}

export class S3ObjectStorage implements ObjectStorage {
  private readonly client: S3Client;
  readonly bucket: string;

  constructor(private readonly config: S3ObjectStorageConfig) {
    this.bucket = config.bucket;
    this.client = new S3Client({
      endpoint: config.endpoint,
      region: config.region,
      forcePathStyle: config.forcePathStyle,
      credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
      // With the SDK's default (WHEN_SUPPORTED) a stream body is sent aws-chunked with a CRC
      // trailer; s3rver and some other S3-compatible stores save that framing as the object.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async putObject(key: string, body: Buffer | Readable, options: PutObjectOptions): Promise<PutObjectResult> {
    // A plain PutObject needs Content-Length up front (S3 refuses a chunked upload without it,
    // and multipart via @aws-sdk/lib-storage is not a dependency), so a stream of unknown
    // length is collected first. Callers streaming large bodies should pass contentLength.
    const payload = Buffer.isBuffer(body) || options.contentLength !== undefined ? body : await collect(body);
    const contentLength = Buffer.isBuffer(payload) ? payload.length : options.contentLength;
    const result = await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: payload,
        ContentType: options.contentType,
        ContentLength: contentLength,
        Metadata: options.metadata ? { ...options.metadata } : undefined,
      }),
    );
    return { etag: unquote(result.ETag) };
  }

  /**
   * ListObjects (v1, `marker`): every S3-compatible store has it, and s3rver cannot make the
   * continuation token a truncated v2 listing needs on OpenSSL 3 (it answers 500).
   */
  async listObjects({ prefix, startAfter, limit }: ListObjectsOptions): Promise<ObjectPage> {
    const result = await this.client.send(
      new ListObjectsCommand({ Bucket: this.bucket, Prefix: prefix, Marker: startAfter, MaxKeys: Math.min(limit, 1000) }),
    );
    const objects = (result.Contents ?? [])
      .filter((object) => object.Key !== undefined)
      .map((object) => ({ key: object.Key!, lastModified: object.LastModified ?? new Date(0) }));
    return { objects, more: result.IsTruncated === true };
  }

  async getObject(key: string): Promise<StoredObject> {
    try {
      const result = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!(result.Body instanceof Readable)) throw new Error(`GetObject ${key} returned no Node stream body`);
      return {
        body: result.Body,
        contentType: result.ContentType ?? 'application/octet-stream',
        contentLength: result.ContentLength ?? 0,
        metadata: result.Metadata ?? {},
        etag: unquote(result.ETag),
      };
    } catch (error) {
      if (isNotFound(error)) throw new ObjectNotFound(key);
      throw error;
    }
  }

  async getObjectBytes(key: string): Promise<Buffer> {
    const { body } = await this.getObject(key);
    return collect(body);
  }

  async headObject(key: string): Promise<ObjectMetadata | undefined> {
    try {
      const result = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return {
        contentType: result.ContentType ?? 'application/octet-stream',
        contentLength: result.ContentLength ?? 0,
        metadata: result.Metadata ?? {},
        etag: unquote(result.ETag),
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async deleteObject(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  presignGet(key: string, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
      expiresIn: expiresInSeconds,
    });
  }

  async probe(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
  }

  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return;
    } catch (error) {
      if (!isBucketMissing(error)) throw error;
    }
    // us-east-1 (AWS's default) and R2's "auto" reject an explicit location constraint.
    const region = this.config.region;
    const constraint = region === 'us-east-1' || region === 'auto' ? undefined : region;
    try {
      await this.client.send(
        new CreateBucketCommand({
          Bucket: this.bucket,
          CreateBucketConfiguration: constraint
            ? { LocationConstraint: constraint as BucketLocationConstraint }
            : undefined,
        }),
      );
    } catch (error) {
      // Another process created it between our HEAD and CREATE (S3 says "owned by you", MinIO
      // and s3rver may say "already exists"): usable if it answers to our credentials now.
      if (!['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes(errorName(error) ?? '')) throw error;
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    }
  }

  /** Closes the client's sockets; the instance is unusable afterwards. */
  destroy(): void {
    this.client.destroy();
  }
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}

function unquote(etag: string | undefined): string | undefined {
  return etag?.replace(/^"(.*)"$/, '$1');
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

/** A missing key; a missing bucket is a configuration fault and is left to propagate. */
function isNotFound(error: unknown): boolean {
  const name = errorName(error);
  if (name === 'NoSuchBucket') return false;
  return name === 'NoSuchKey' || name === 'NotFound' || httpStatus(error) === 404;
}

function isBucketMissing(error: unknown): boolean {
  const name = errorName(error);
  return name === 'NoSuchBucket' || name === 'NotFound' || httpStatus(error) === 404;
}
