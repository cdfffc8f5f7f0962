// The directory blob store (the local stand-in for S3): bytes round-trip, missing keys are
// undefined, deletion takes what is kept under a key, and keys cannot escape the root.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkBlobKey, directoryBlobStore, type BlobStore } from '../../lib/core/blobs.ts';

describe('directory blob store', () => {
  let root: string;
  let store: BlobStore;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'axon-blobs-test-'));
    store = directoryBlobStore(root);
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('returns the bytes put under a key, and nothing for other keys', async () => {
    const bytes = randomBytes(10_000);
    await store.put('media/abc/0001', bytes, 'application/octet-stream');
    expect((await store.get('media/abc/0001'))?.equals(bytes)).toBe(true);
    expect(await store.has('media/abc/0001')).toBe(true);
    expect(await store.get('media/abc/0002')).toBeUndefined();
    expect(await store.has('media/abc')).toBe(false);
    // No temporary file is left behind.
    expect(await readdir(join(root, 'media', 'abc'))).toEqual(['0001']);
  });

  it('deletes a blob and what is kept under its key, and deletes again harmlessly', async () => {
    await store.put('media/del/0001', Buffer.from('original'));
    await store.put('thumbnails/media/del/0001/32x32-crop', Buffer.from('thumb'));
    await store.put('media/del/0002', Buffer.from('another'));
    await store.delete('media/del/0001');
    await store.delete('thumbnails/media/del/0001');
    expect(await store.has('media/del/0001')).toBe(false);
    expect(await store.has('thumbnails/media/del/0001/32x32-crop')).toBe(false);
    expect(await store.get('media/del/0002')).toEqual(Buffer.from('another'));
    await store.delete('media/del/0001');
    await store.delete('media/never/0003');
  });

  it('refuses keys that are not plain relative paths', () => {
    for (const key of ['../x', 'a/../../x', '/abs', 'a//b', 'a/./b', '', 'a b', 'a\\b']) {
      expect(() => checkBlobKey(key), key).toThrow(/invalid blob key/);
    }
    expect(checkBlobKey('thumbnails/media/id_-x/0a1b/32x32-crop')).toBe('thumbnails/media/id_-x/0a1b/32x32-crop');
  });
});
