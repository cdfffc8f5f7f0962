// The directory blob store (the local stand-in for S3): bytes round-trip, missing keys are
// undefined, deletion takes what is kept under a key, and keys cannot escape the root.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkBlobKey, checkDirectoryBlobRequests, directoryBlobStore, type BlobStore } from '../../lib/core/blobs.ts';

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

  it('asks for each request S3 would get: a delete is checked for the key, the listing and every key under it', async () => {
    await store.put('thumbnails/media/chk/0001/32x32-crop', Buffer.from('a'));
    await store.put('thumbnails/media/chk/0001/96x96-scale', Buffer.from('b'));
    const asked: string[] = [];
    const denyChildren = checkDirectoryBlobRequests(async (command, key) => {
      asked.push(`${command} ${key}`);
      if (key.endsWith('-scale')) throw new Error('AccessDenied');
    });
    try {
      await expect(store.delete('thumbnails/media/chk/0001')).rejects.toThrow('AccessDenied');
    } finally {
      denyChildren();
    }
    expect(asked.slice(0, 2)).toEqual(['DeleteObject thumbnails/media/chk/0001', 'ListObjectsV2 thumbnails/media/chk/0001']);
    expect(asked).toContain('DeleteObject thumbnails/media/chk/0001/96x96-scale');
    // Refused before anything went, as a denied DeleteObjects takes nothing of the denied keys.
    expect(await store.has('thumbnails/media/chk/0001/96x96-scale')).toBe(true);
    expect(await store.has('thumbnails/media/chk/0001/32x32-crop')).toBe(true);
  });

  it('refuses keys that are not plain relative paths', () => {
    for (const key of ['../x', 'a/../../x', '/abs', 'a//b', 'a/./b', '', 'a b', 'a\\b']) {
      expect(() => checkBlobKey(key), key).toThrow(/invalid blob key/);
    }
    expect(checkBlobKey('thumbnails/media/id_-x/0a1b/32x32-crop')).toBe('thumbnails/media/id_-x/0a1b/32x32-crop');
  });
});
