// Synapse's media admin API (element-hq/synapse docs/admin_api/media_admin_api.md and the user
// admin API's media part): quarantine by id, of a room, of a user, and release; list a room's
// media; delete by id, a user's media, by date and size. Quarantined media is not served (404
// M_NOT_FOUND, download and thumbnail); deleted media is gone from the metadata and the blob store
// (bytes and thumbnails), and a redelivered deletion finishes what a crash left. Shapes are checked
// with strict schemas against Synapse's documentation.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Jimp } from 'jimp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { appendWithAck } from '../../lib/core/ack.ts';
import { blobStore, checkDirectoryBlobRequests } from '../../lib/core/blobs.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { submitAccountCommand } from '../../lib/matrix/accounts/account.ts';
import { registerUser, uniqueLocalpart, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { call, shaped } from '../support/synapse-admin.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { createRoom, send } from './rooms-support.ts';

const id = encodeURIComponent;

const quarantined = z.strictObject({ num_quarantined: z.number().int() });
const deleted = z.strictObject({ deleted_media: z.array(z.string()), total: z.number().int() });
const roomMedia = z.strictObject({ local: z.array(z.string()), remote: z.array(z.string()) });
const mediaInfo = z.strictObject({
  media_info: z.strictObject({
    media_origin: z.string().nullable(),
    user_id: z.string().nullable(),
    media_id: z.string(),
    media_type: z.string().nullable(),
    media_length: z.number().int().nullable(),
    upload_name: z.string().nullable(),
    created_ts: z.number().int(),
    filesystem_id: z.string().nullable(),
    url_cache: z.string().nullable(),
    last_access_ts: z.number().int().nullable(),
    quarantined_by: z.string().nullable(),
    authenticated: z.boolean(),
    safe_from_quarantine: z.boolean().nullable(),
    sha256: z.string().nullable(),
  }),
});
const empty = z.strictObject({});


const OK = [200, 200];
const GONE = [404, 404];

describe('Synapse media admin API', () => {
  let runtime: LocalRuntime;
  let anonymous: TestClient;
  let root: RegisteredUser;
  let alice: RegisteredUser;
  let a: TestClient;
  beforeAll(async () => {
    runtime = await startTestRuntime('synapse-admin-media');
    anonymous = new TestClient(runtime.httpUrl);
    [root, alice] = await Promise.all([registerUser(anonymous, uniqueLocalpart('root')), registerUser(anonymous, uniqueLocalpart('alice'))]);
    await submitAccountCommand('account.setAdmin', root.userId, { admin: true });
    a = root.client;
  });
  afterAll(() => runtime?.stop());

  const png = (side: number) => new Jimp({ width: side, height: side, color: 0x3366ccff }).getBuffer('image/png');

  /** Upload as `user`: the media id (on localhost). */
  async function upload(user: RegisteredUser, body: Buffer | string, type = 'text/plain'): Promise<string> {
    const res = await fetch(`${runtime.httpUrl}/_matrix/media/v3/upload`, { method: 'POST', headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': type }, body });
    expect(res.status).toBe(200);
    return ((await res.json()) as { content_uri: string }).content_uri.split('/').pop()!;
  }

  /** The statuses (404s checked to be M_NOT_FOUND) of downloads of the media, and of a thumbnail if it is an image. */
  async function served(mediaId: string, image = false): Promise<number[]> {
    const paths = [`/_matrix/client/v1/media/download/localhost/${mediaId}`, `/_matrix/media/v3/download/localhost/${mediaId}`];
    if (image) paths.push(`/_matrix/client/v1/media/thumbnail/localhost/${mediaId}?width=8&height=8`);
    return Promise.all(
      paths.map(async (p) => {
        const res = await fetch(`${runtime.httpUrl}${p}`, { headers: { authorization: `Bearer ${alice.accessToken}` } });
        if (res.status === 404) expect(((await res.json()) as { errcode: string }).errcode).toBe('M_NOT_FOUND');
        return res.status;
      }),
    );
  }

  /** Files the blob store holds for the media: its bytes and its thumbnails. */
  async function blobFiles(mediaId: string): Promise<string[]> {
    const root = process.env.AXON_MEDIA_DIR!;
    const under = async (dir: string) => (await readdir(join(root, dir), { recursive: true, withFileTypes: true }).catch(() => [])).filter((e) => e.isFile()).map((e) => e.name);
    return [...(await under(`media/${mediaId}`)), ...(await under(`thumbnails/media/${mediaId}`))];
  }

  it('is for server admins only', async () => {
    const mediaId = await upload(alice, 'mine');
    for (const [method, path] of [
      ['POST', `/v1/media/quarantine/localhost/${mediaId}`],
      ['POST', `/v1/user/${id(alice.userId)}/media/quarantine`],
      ['DELETE', `/v1/media/localhost/${mediaId}`],
      ['GET', `/v1/media/localhost/${mediaId}`],
    ] as const) {
      expectError(await call(alice.client, method, path, method === 'GET' ? undefined : {}), 403, 'M_FORBIDDEN');
    }
    expect(await served(mediaId)).toEqual(OK);
  });

  it('quarantines one media item: not served until released, and shown as quarantined', async () => {
    const mediaId = await upload(alice, await png(32), 'image/png');
    expect(await served(mediaId, true)).toEqual([...OK, 200]);
    shaped(empty, await call(a, 'POST', `/v1/media/quarantine/localhost/${mediaId}`, {}));
    expect(await served(mediaId, true)).toEqual([...GONE, 404]);
    expect(shaped(mediaInfo, await call(a, 'GET', `/v1/media/localhost/${mediaId}`)).media_info).toMatchObject({ media_id: mediaId, user_id: alice.userId, quarantined_by: root.userId, media_type: 'image/png' });
    const listed = (await call<{ media: { media_id: string; quarantined_by: string | null }[] }>(a, 'GET', `/v1/users/${id(alice.userId)}/media`)).body.media;
    expect(listed.find((m) => m.media_id === mediaId)?.quarantined_by).toBe(root.userId);

    shaped(empty, await call(a, 'POST', `/v1/media/unquarantine/localhost/${mediaId}`, {}));
    expect(await served(mediaId, true)).toEqual([...OK, 200]);
    expect(shaped(mediaInfo, await call(a, 'GET', `/v1/media/localhost/${mediaId}`)).media_info.quarantined_by).toBeNull();
    // Unknown or other servers' media: nothing to do, as Synapse answers.
    shaped(empty, await call(a, 'POST', '/v1/media/quarantine/localhost/nosuchmedia', {}));
    shaped(empty, await call(a, 'POST', '/v1/media/quarantine/elsewhere.example/abc', {}));
    expectError(await call(a, 'GET', '/v1/media/localhost/nosuchmedia'), 404, 'M_NOT_FOUND');
    expectError(await call(a, 'GET', '/v1/media/elsewhere.example/abc'), 404, 'M_NOT_FOUND');
  });

  it("lists and quarantines a room's media: what its events point at, ours and others'", async () => {
    const bob = await registerUser(anonymous, uniqueLocalpart('bob'));
    const roomId = await createRoom(alice.client, { preset: 'public_chat' });
    expect((await bob.client.post(`/_matrix/client/v3/join/${id(roomId)}`, {})).status).toBe(200);
    const [image, thumb, file] = await Promise.all([upload(alice, await png(16), 'image/png'), upload(alice, await png(8), 'image/png'), upload(bob, 'a file')]);
    const elsewhere = await upload(alice, 'not in the room');
    await send(alice.client, roomId, { msgtype: 'm.image', body: 'i.png', url: `mxc://localhost/${image}`, info: { thumbnail_url: `mxc://localhost/${thumb}` } });
    await send(bob.client, roomId, { msgtype: 'm.file', body: 'f', url: `mxc://localhost/${file}` });
    await send(bob.client, roomId, { msgtype: 'm.image', body: 'remote', url: 'mxc://remote.example/xyz' });
    await send(bob.client, roomId, { msgtype: 'm.text', body: 'no media' });

    const listed = shaped(roomMedia, await call(a, 'GET', `/v1/room/${id(roomId)}/media`));
    expect(listed.local.sort()).toEqual([image, thumb, file].map((m) => `mxc://localhost/${m}`).sort());
    expect(listed.remote).toEqual(['mxc://remote.example/xyz']);

    expect(shaped(quarantined, await call(a, 'POST', `/v1/room/${id(roomId)}/media/quarantine`, {})).num_quarantined).toBe(3);
    for (const m of [image, thumb, file]) expect(await served(m)).toEqual(GONE);
    expect(await served(elsewhere)).toEqual(OK);
    // Again (and through the legacy path): nothing more to quarantine.
    expect(shaped(quarantined, await call(a, 'POST', `/v1/quarantine_media/${id(roomId)}`, {})).num_quarantined).toBe(0);
    expectError(await call(a, 'GET', '/v1/room/not-a-room/media'), 400, 'M_UNKNOWN');
  });

  it("quarantines a user's media", async () => {
    const carol = await registerUser(anonymous, uniqueLocalpart('carol'));
    const ids = await Promise.all([upload(carol, 'one'), upload(carol, 'two'), upload(carol, 'three')]);
    const others = await upload(alice, 'not carol');
    expect(shaped(quarantined, await call(a, 'POST', `/v1/user/${id(carol.userId)}/media/quarantine`, {})).num_quarantined).toBe(3);
    for (const m of ids) expect(await served(m)).toEqual(GONE);
    expect(await served(others)).toEqual(OK);
    expect(shaped(quarantined, await call(a, 'POST', `/v1/user/${id(carol.userId)}/media/quarantine`, {})).num_quarantined).toBe(0);
    expect(shaped(quarantined, await call(a, 'POST', `/v1/user/${id('@someone:elsewhere.example')}/media/quarantine`, {})).num_quarantined).toBe(0);
  });

  it('deletes one media item: its entry, bytes and thumbnails are gone', async () => {
    const mediaId = await upload(alice, await png(64), 'image/png');
    expect(await served(mediaId, true)).toEqual([...OK, 200]);
    // The original and one thumbnail.
    expect((await blobFiles(mediaId)).length).toBe(2);
    expect(shaped(deleted, await call(a, 'DELETE', `/v1/media/localhost/${mediaId}`, {}))).toEqual({ deleted_media: [mediaId], total: 1 });
    expect(await blobFiles(mediaId)).toEqual([]);
    expect(await served(mediaId, true)).toEqual([...GONE, 404]);
    expectError(await call(a, 'GET', `/v1/media/localhost/${mediaId}`), 404, 'M_NOT_FOUND');
    const listed = (await call<{ media: { media_id: string }[] }>(a, 'GET', `/v1/users/${id(alice.userId)}/media`)).body.media;
    expect(listed.map((m) => m.media_id)).not.toContain(mediaId);
    expectError(await call(a, 'DELETE', `/v1/media/localhost/${mediaId}`, {}), 404, 'M_NOT_FOUND');
    expectError(await call(a, 'DELETE', '/v1/media/elsewhere.example/abc', {}), 400, 'M_UNKNOWN');
  });

  it("deletes a user's media a page at a time, newest first unless asked otherwise", async () => {
    const dora = await registerUser(anonymous, uniqueLocalpart('dora'));
    const ids: string[] = [];
    for (const body of ['first', 'second', 'third']) {
      ids.push(await upload(dora, body));
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(shaped(deleted, await call(a, 'DELETE', `/v1/users/${id(dora.userId)}/media?limit=1`, {}))).toEqual({ deleted_media: [ids[2]], total: 1 });
    expect(shaped(deleted, await call(a, 'DELETE', `/v1/users/${id(dora.userId)}/media?order_by=created_ts&dir=f&limit=1`, {}))).toEqual({ deleted_media: [ids[0]], total: 1 });
    expect(shaped(deleted, await call(a, 'DELETE', `/v1/users/${id(dora.userId)}/media`, {}))).toEqual({ deleted_media: [ids[1]], total: 1 });
    expect(await Promise.all(ids.map((m) => blobFiles(m)))).toEqual([[], [], []]);
    expect(shaped(deleted, await call(a, 'DELETE', `/v1/users/${id(dora.userId)}/media`, {}))).toEqual({ deleted_media: [], total: 0 });
    expectError(await call(a, 'DELETE', `/v1/users/${id('@nobody-here:localhost')}/media`, {}), 404, 'M_NOT_FOUND');
  });

  it('deletes media by date and size, keeping avatars and quarantined media', async () => {
    const erin = await registerUser(anonymous, uniqueLocalpart('erin'));
    const [small, large, avatar, held] = await Promise.all([upload(erin, 'x'), upload(erin, 'x'.repeat(2000)), upload(erin, 'y'.repeat(2000)), upload(erin, 'z'.repeat(2000))]);
    expect((await erin.client.put(`/_matrix/client/v3/profile/${id(erin.userId)}/avatar_url`, { avatar_url: `mxc://localhost/${avatar}` })).status).toBe(200);
    shaped(empty, await call(a, 'POST', `/v1/media/quarantine/localhost/${held}`, {}));
    const listed = (await call<{ media: { created_ts: number }[] }>(a, 'GET', `/v1/users/${id(erin.userId)}/media`)).body.media;
    const cut = Math.max(...listed.map((m) => m.created_ts)) + 1;
    await new Promise((r) => setTimeout(r, 5));
    const later = await upload(erin, 'w'.repeat(2000));

    expectError(await call(a, 'POST', '/v1/media/delete', {}), 400, 'M_MISSING_PARAM');
    expectError(await call(a, 'POST', '/v1/media/delete?before_ts=1000', {}), 400, 'M_INVALID_PARAM');
    expectError(await call(a, 'POST', `/v1/media/delete?before_ts=${cut}&size_gt=-1`, {}), 400, 'M_INVALID_PARAM');
    expectError(await call(a, 'POST', `/v1/media/elsewhere.example/delete?before_ts=${cut}`, {}), 400, 'M_UNKNOWN');
    const res = shaped(deleted, await call(a, 'POST', `/v1/media/delete?before_ts=${cut}&size_gt=1000`, {}));
    // Other tests' media may go too; of erin's, the large one goes, the small, the avatar, the
    // quarantined and the later one stay.
    expect(res.deleted_media).toContain(large);
    for (const kept of [small, avatar, held, later]) expect(res.deleted_media).not.toContain(kept);
    expect(res.total).toBe(res.deleted_media.length);
    expect(await blobFiles(large)).toEqual([]);
    expect(await served(avatar)).toEqual(OK);
    // Without keep_profiles the avatar goes too (here through the legacy path).
    const all = shaped(deleted, await call(a, 'POST', `/v1/media/localhost/delete?before_ts=${cut}&size_gt=1000&keep_profiles=false`, {}));
    expect(all.deleted_media).toEqual(expect.arrayContaining([avatar]));
    for (const kept of [small, held, later]) expect(all.deleted_media).not.toContain(kept);
  });

  it('protects media from quarantine (by id and a user\'s) until unprotected', async () => {
    const uploader = await registerUser(anonymous, uniqueLocalpart('gail'));
    const mediaId = await upload(uploader, 'sticker');
    expectError(await call(uploader.client, 'POST', `/v1/media/protect/${mediaId}`, {}), 403, 'M_FORBIDDEN');
    shaped(empty, await call(a, 'POST', `/v1/media/protect/${mediaId}`, {}));
    expect(shaped(mediaInfo, await call(a, 'GET', `/v1/media/localhost/${mediaId}`)).media_info.safe_from_quarantine).toBe(true);
    shaped(empty, await call(a, 'POST', `/v1/media/quarantine/localhost/${mediaId}`, {}));
    expect(shaped(quarantined, await call(a, 'POST', `/v1/user/${id(uploader.userId)}/media/quarantine`, {}))).toEqual({ num_quarantined: 0 });
    expect(await served(mediaId)).toEqual(OK);
    expect(shaped(mediaInfo, await call(a, 'GET', `/v1/media/localhost/${mediaId}`)).media_info.quarantined_by).toBeNull();

    shaped(empty, await call(a, 'POST', `/v1/media/unprotect/${mediaId}`, {}));
    expect(shaped(mediaInfo, await call(a, 'GET', `/v1/media/localhost/${mediaId}`)).media_info.safe_from_quarantine).toBe(false);
    expect(shaped(quarantined, await call(a, 'POST', `/v1/user/${id(uploader.userId)}/media/quarantine`, {}))).toEqual({ num_quarantined: 1 });
    expect(await served(mediaId)).toEqual(GONE);
    // Unknown media: nothing to do, as Synapse answers.
    shaped(empty, await call(a, 'POST', '/v1/media/protect/NoSuchMedia', {}));
  });

  it('purges no remote media cache: Axon keeps none', async () => {
    expect(shaped(z.strictObject({ deleted: z.number().int() }), await call(a, 'POST', `/v1/purge_media_cache?before_ts=${Date.now()}`, {}))).toEqual({ deleted: 0 });
    expectError(await call(a, 'POST', '/v1/purge_media_cache', {}), 400, 'M_MISSING_PARAM');
    expectError(await call(a, 'POST', '/v1/purge_media_cache?before_ts=1000', {}), 400, 'M_INVALID_PARAM');
    expectError(await call(alice.client, 'POST', `/v1/purge_media_cache?before_ts=${Date.now()}`, {}), 403, 'M_FORBIDDEN');
  });

  it('answers a deletion that could not be applied with an error, not an empty list, and keeps the media until it is', async () => {
    const uploader = await registerUser(anonymous, uniqueLocalpart('frank'));
    const mediaId = await upload(uploader, 'undeletable for now');
    // The blob store refuses the deletion (as S3 without the grant did): the users topology retries the record.
    const undo = checkDirectoryBlobRequests(async (command, key) => {
      if (command === 'DeleteObject' && key.includes(mediaId)) throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
    });
    try {
      expectError(await call(a, 'DELETE', `/v1/media/localhost/${mediaId}`, {}), 503, 'M_UNKNOWN');
      expect(shaped(mediaInfo, await call(a, 'GET', `/v1/media/localhost/${mediaId}`)).media_info.media_id).toBe(mediaId);
      expect(await served(mediaId)).toEqual(OK);
    } finally {
      undo();
    }
    // Once the store takes it, the retried deletion is applied; asking again finds nothing to delete.
    await expect.poll(async () => (await call(a, 'GET', `/v1/media/localhost/${mediaId}`)).status, { timeout: 60_000, interval: 500 }).toBe(404);
    expect(await blobFiles(mediaId)).toEqual([]);
    expectError(await call(a, 'DELETE', `/v1/media/localhost/${mediaId}`, {}), 404, 'M_NOT_FOUND');
  }, 120_000);

  it('completes a deletion whose bytes a crashed delivery already deleted, and answers a redelivery the same', async () => {
    const mediaId = await upload(alice, 'redelivered');
    const [blobKey] = await readdir(join(process.env.AXON_MEDIA_DIR!, 'media', mediaId));
    // As if a first delivery had deleted the bytes and crashed before its commit.
    await blobStore().delete(`media/${mediaId}/${blobKey}`);
    expect(await served(mediaId)).toEqual(GONE);
    const command = { kind: 'media.delete', userId: alice.userId, ts: Date.now(), mediaIds: [mediaId] };
    const requestId = `redelivery-${mediaId}`;
    const first = await appendWithAck('users', { partitionKey: alice.userId, data: command, kind: command.kind }, { requestId, timeoutMs: 20_000 });
    expect(first).toEqual({ ok: true, value: { deleted: [mediaId] } });
    expectError(await call(a, 'GET', `/v1/media/localhost/${mediaId}`), 404, 'M_NOT_FOUND');
    const again = await appendWithAck('users', { partitionKey: alice.userId, data: command, kind: command.kind }, { requestId, timeoutMs: 20_000 });
    expect(again).toEqual(first);
  });
});
