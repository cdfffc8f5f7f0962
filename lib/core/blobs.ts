// A blob store: immutable bytes by key. S3 on AWS (env AXON_MEDIA_BUCKET), a local directory when
// running locally (env AXON_MEDIA_DIR). Keys are `/`-separated words of [A-Za-z0-9._-], so they are
// safe as both S3 keys and relative file paths.
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, NoSuchKey, NotFound, PutObjectCommand } from '@aws-sdk/client-s3';
import { s3Client } from './aws-clients.ts';

export interface BlobStore {
  put(key: string, body: Buffer, contentType?: string): Promise<void>;
  /** The bytes, or undefined when there is no such blob. */
  get(key: string): Promise<Buffer | undefined>;
  has(key: string): Promise<boolean>;
  /** Remove the blob under `key` and every blob under `key/` (what was kept beside it); idempotent. */
  delete(key: string): Promise<void>;
}

const KEY = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

export function checkBlobKey(key: string): string {
  if (!KEY.test(key) || key.split('/').some((part) => part === '.' || part === '..')) throw new Error(`invalid blob key "${key}"`);
  return key;
}

/** The S3 request each blob store operation is (what IAM authorizes). */
export type BlobCommand = 'GetObject' | 'HeadObject' | 'PutObject' | 'DeleteObject' | 'ListObjectsV2';

type BlobRequestCheck = (command: BlobCommand, key: string) => Promise<void>;

let directoryRequestCheck: BlobRequestCheck | undefined;

/**
 * Have every request of a directory store checked as the same S3 request would be (the local
 * runtime's grants: lib/local/iam), so code that may not touch the bucket on AWS fails locally too.
 * Returns the undo.
 */
export function checkDirectoryBlobRequests(check: BlobRequestCheck): () => void {
  directoryRequestCheck = check;
  return () => {
    if (directoryRequestCheck === check) directoryRequestCheck = undefined;
  };
}

/** Blobs as files under `root`; written to a temporary name and renamed, so readers never see half a file. */
export function directoryBlobStore(root: string): BlobStore {
  const pathOf = async (command: BlobCommand, key: string) => {
    await directoryRequestCheck?.(command, checkBlobKey(key));
    return join(root, key);
  };
  return {
    async put(key, body) {
      const path = await pathOf('PutObject', key);
      await mkdir(dirname(path), { recursive: true });
      const temporary = `${path}.${randomBytes(6).toString('hex')}.partial`;
      await writeFile(temporary, body);
      await rename(temporary, path);
    },
    async get(key) {
      try {
        return await readFile(await pathOf('GetObject', key));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      }
    },
    async has(key) {
      try {
        return (await stat(await pathOf('HeadObject', key))).isFile();
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw e;
      }
    },
    async delete(key) {
      // A blob key is never also a directory, so `key` is the file or the directory, not both. As
      // on S3: delete the key, then list what is under it and delete each of those (DeleteObjects
      // is authorized per key, as DeleteObject).
      const path = await pathOf('DeleteObject', key);
      await directoryRequestCheck?.('ListObjectsV2', key);
      if (directoryRequestCheck) {
        const children = await readdir(path, { recursive: true, withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
          if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return [];
          throw e;
        });
        for (const child of children) if (child.isFile()) await directoryRequestCheck('DeleteObject', relative(root, join(child.parentPath, child.name)));
      }
      await rm(path, { recursive: true, force: true });
    },
  };
}

export function s3BlobStore(bucket: string): BlobStore {
  return {
    async put(key, body, contentType) {
      await s3Client().send(new PutObjectCommand({ Bucket: bucket, Key: checkBlobKey(key), Body: body, ContentType: contentType }));
    },
    async get(key) {
      try {
        const out = await s3Client().send(new GetObjectCommand({ Bucket: bucket, Key: checkBlobKey(key) }));
        return out.Body ? Buffer.from(await out.Body.transformToByteArray()) : Buffer.alloc(0);
      } catch (e) {
        if (e instanceof NoSuchKey) return undefined;
        throw e;
      }
    },
    async has(key) {
      try {
        await s3Client().send(new HeadObjectCommand({ Bucket: bucket, Key: checkBlobKey(key) }));
        return true;
      } catch (e) {
        if (e instanceof NotFound || (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
        throw e;
      }
    },
    async delete(key) {
      const client = s3Client();
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: checkBlobKey(key) }));
      // Deleting a missing key succeeds on S3, so a repeated delete is harmless.
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${key}/`, ContinuationToken: token }));
        const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
        if (keys.length) await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },
  };
}

/** The store this process is configured for: the local directory if set, else the S3 bucket. */
export function blobStore(): BlobStore {
  const dir = process.env.AXON_MEDIA_DIR;
  if (dir) return directoryBlobStore(dir);
  const bucket = process.env.AXON_MEDIA_BUCKET;
  if (bucket) return s3BlobStore(bucket);
  throw new Error('no blob store: set AXON_MEDIA_DIR (local) or AXON_MEDIA_BUCKET (S3)');
}
