// Typing, presence, receipts and read markers through the HTTP API and /sync: each write is checked
// by the HTTP function, appended to the ephemeral depot, and folded by the microbatch topology.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { axon } from '../../lib/matrix/module.ts';
import { presence, roomEphemeral, roomReceipts } from '../../lib/matrix/pstates.ts';
import { loginUser, registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { createRoom, path, send } from './rooms-support.ts';
import { until } from '../support/poll.ts';

const v3 = '/_matrix/client/v3';
const u = encodeURIComponent;

interface SyncResponse {
  next_batch: string;
  rooms?: { join?: Record<string, { ephemeral?: { events: { type: string; content: Record<string, unknown> }[] } }> };
  presence?: { events: { type: string; sender: string; content: Record<string, unknown> }[] };
}

const ephemeralOf = (sync: SyncResponse, roomId: string) => sync.rooms?.join?.[roomId]?.ephemeral?.events ?? [];
const typingIn = (sync: SyncResponse, roomId: string) =>
  ephemeralOf(sync, roomId).find((e) => e.type === 'm.typing')?.content.user_ids as string[] | undefined;
const receiptsIn = (sync: SyncResponse, roomId: string) =>
  ephemeralOf(sync, roomId).filter((e) => e.type === 'm.receipt').map((e) => e.content as Record<string, Record<string, Record<string, { ts: number; thread_id?: string }>>>);

describe('ephemeral: typing, presence, receipts', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let eve: RegisteredUser;
  let roomId: string;
  let otherRoom: string;

  const sync = async (user: RegisteredUser, since?: string) => {
    const res = await user.client.get<SyncResponse>(`${v3}/sync?timeout=0${since ? `&since=${u(since)}` : ''}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };
  const typing = (user: RegisteredUser, body: unknown, room = roomId, target = user.userId) =>
    user.client.put(path.room(room, `typing/${u(target)}`), body);

  beforeAll(async () => {
    runtime = await startTestRuntime('ephemeral');
    const anonymous = new TestClient(runtime.httpUrl);
    [alice, bob, eve] = await Promise.all([registerUser(anonymous), registerUser(anonymous), registerUser(anonymous)]);
    roomId = await createRoom(alice.client, { preset: 'public_chat' });
    otherRoom = await createRoom(eve.client, { preset: 'public_chat' });
    expect((await bob.client.post(`${v3}/join/${u(roomId)}`, {})).status).toBe(200);
  });
  afterAll(() => runtime?.stop());

  describe('typing', () => {
    it('shows a typing member to the room in /sync, and stops', async () => {
      expect((await typing(alice, { typing: true, timeout: 20_000 })).body).toEqual({});
      const seen = await until(() => sync(bob), (s) => typingIn(s, roomId)?.includes(alice.userId) === true, 'alice typing');
      expect(typingIn(seen, roomId)).toEqual([alice.userId]);

      expect((await typing(alice, { typing: false })).status).toBe(200);
      await until(() => sync(bob, seen.next_batch), (s) => typingIn(s, roomId)?.length === 0, 'alice stopped typing');
    });

    it('refuses typing for another user, outside the room, and malformed bodies; nothing is written', async () => {
      expectError(await typing(bob, { typing: true }, roomId, alice.userId), 403, 'M_FORBIDDEN');
      expectError(await typing(eve, { typing: true }), 403, 'M_FORBIDDEN');
      expectError(await typing(eve, { typing: true }, '!nowhere:localhost'), 403, 'M_FORBIDDEN');
      expectError(await typing(alice, { timeout: 100 }), 400, 'M_MISSING_PARAM');
      expectError(await typing(alice, { typing: 'yes' }), 400, 'M_BAD_JSON');
      expectError(await alice.client.put(path.room(roomId, `typing/${u(alice.userId)}`), undefined, { rawBody: '{nope', headers: { 'content-type': 'application/json' } }), 400, 'M_NOT_JSON');
      expectError(await new TestClient(runtime.httpUrl).put(path.room(roomId, `typing/${u(alice.userId)}`), { typing: true }), 401, 'M_MISSING_TOKEN');
      // A later accepted update proves the topology got past the refused ones' time: none of them landed.
      await typing(bob, { typing: true, timeout: 30_000 });
      const item = await until(() => roomEphemeral.key(roomId).get({ consistent: true }), (i) => i?.typing?.[bob.userId] !== undefined, 'bob typing');
      expect(Object.keys(item!.typing!)).toEqual([bob.userId]);
      expect(await roomEphemeral.key('!nowhere:localhost').get({ consistent: true })).toBeUndefined();
      await typing(bob, { typing: false });
    });

    it('lets a typing notification run out after its timeout', async () => {
      const { next_batch: since } = await sync(bob);
      await typing(alice, { typing: true, timeout: 1 });
      // A 1 ms timeout has run out by the time anyone reads it: the typing set seen stays empty,
      // and an incremental sync never reports alice as typing.
      const after = await until(() => roomEphemeral.key(roomId).get({ consistent: true }), (i) => i !== undefined, 'item');
      expect(after?.typing?.[alice.userId] ?? 0).toBeLessThanOrEqual(Date.now());
      expect(typingIn(await sync(bob, since), roomId) ?? []).not.toContain(alice.userId);
    });
  });

  describe('presence', () => {
    const status = (user: RegisteredUser, target = user.userId) => `${v3}/presence/${u(target)}/status`;

    it('sets and reads presence with a status message', async () => {
      expect((await bob.client.put(status(bob), { presence: 'online', status_msg: 'at lunch' })).body).toEqual({});
      const res = await alice.client.get(status(bob));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ presence: 'online', currently_active: true, status_msg: 'at lunch' });
      expect(res.body.last_active_ago).toBeGreaterThanOrEqual(0);

      expect((await bob.client.put(status(bob), { presence: 'unavailable' })).status).toBe(200);
      const later = await alice.client.get(status(bob));
      expect(later.body.presence).toBe('unavailable');
      expect(later.body.status_msg).toBeUndefined();
      expect(later.body.currently_active).toBe(false);
    });

    it('delivers presence changes of room members through /sync', async () => {
      const { next_batch: since } = await sync(alice);
      await bob.client.put(status(bob), { presence: 'online', status_msg: 'back' });
      const s = await until(() => sync(alice, since), (x) => (x.presence?.events ?? []).some((e) => e.sender === bob.userId), 'bob presence');
      const event = s.presence!.events.find((e) => e.sender === bob.userId)!;
      expect(event.type).toBe('m.presence');
      expect(event.content).toMatchObject({ presence: 'online', status_msg: 'back', currently_active: true });
    });

    it('gives the presence of people an incremental sync introduces, changed or not (Synapse)', async () => {
      const carol = await registerUser(new TestClient(runtime.httpUrl));
      expect((await alice.client.put(status(alice), { presence: 'online', status_msg: 'here' })).status).toBe(200);
      expect((await carol.client.put(status(carol), { presence: 'online', status_msg: 'new' })).status).toBe(200);
      const room = await createRoom(alice.client, { preset: 'public_chat' });
      const senders = (x: SyncResponse) => (x.presence?.events ?? []).map((e) => e.sender);

      // a room bob newly joined: its members' presence comes with it
      const { next_batch: bobSince } = await sync(bob);
      expect((await bob.client.post(`${v3}/join/${u(room)}`, {})).status).toBe(200);
      const joined = await sync(bob, bobSince);
      expect(senders(joined)).toContain(alice.userId);
      expect(senders(await sync(bob, joined.next_batch))).not.toContain(alice.userId);

      // a new member of alice's room: their presence comes with their join
      const { next_batch: aliceSince } = await sync(alice);
      expect((await carol.client.post(`${v3}/join/${u(room)}`, {})).status).toBe(200);
      const met = await sync(alice, aliceSince);
      expect(senders(met)).toContain(carol.userId);
      expect(met.presence!.events.find((e) => e.sender === carol.userId)!.content).toMatchObject({ presence: 'online', status_msg: 'new' });
    });

    it('refuses setting presence of another user and unknown states', async () => {
      expectError(await alice.client.put(status(alice, bob.userId), { presence: 'offline' }), 403, 'M_FORBIDDEN');
      expectError(await alice.client.put(status(alice), { presence: 'dancing' }), 400, 'M_INVALID_PARAM');
      expectError(await alice.client.put(status(alice), { status_msg: 'x' }), 400, 'M_MISSING_PARAM');
      // Bob's presence is what bob set, not what alice tried.
      expect((await alice.client.get(status(bob))).body.presence).toBe('online');
    });

    it('shows presence only to the user and those sharing a room with them, as Synapse', async () => {
      // Eve shares no room with alice: neither sees the other; an unknown user is refused alike.
      expectError(await alice.client.get(status(alice, eve.userId)), 403, 'M_FORBIDDEN');
      expectError(await eve.client.get(status(eve, alice.userId)), 403, 'M_FORBIDDEN');
      expectError(await alice.client.get(status(alice, '@nobody:localhost')), 403, 'M_FORBIDDEN');
      // A user who never set presence (nor synced) reads as offline, to themselves.
      expect((await eve.client.get(status(eve))).body).toEqual({ presence: 'offline' });
      expect(await presence.key(eve.userId).get({ consistent: true })).toBeUndefined();
      // Once eve joins alice's room, they see each other's.
      expect((await eve.client.post(`${v3}/join/${u(roomId)}`, {})).status).toBe(200);
      expect((await alice.client.get(status(alice, eve.userId))).body).toEqual({ presence: 'offline' });
      expect((await eve.client.get(status(eve, alice.userId))).status).toBe(200);
      expect((await eve.client.post(`${v3}/rooms/${u(roomId)}/leave`, {})).status).toBe(200);
      expectError(await alice.client.get(status(alice, eve.userId)), 403, 'M_FORBIDDEN');
    });

    it("leaves presence alone on a sync with set_presence=offline; a plain sync marks online and keeps the status message, as Synapse's", async () => {
      expect((await bob.client.put(status(bob), { presence: 'unavailable', status_msg: 'away' })).status).toBe(200);
      expect((await bob.client.get(`${v3}/sync?timeout=0&set_presence=offline`)).status).toBe(200);
      // The ephemeral depot has one shard, folded in order: once alice's later PUT is committed, any
      // record bob's sync appended would be too.
      expect(axon.depots.find((d) => d.name === 'ephemeral')?.shards).toBe(1);
      expect((await alice.client.put(status(alice), { presence: 'online' })).status).toBe(200);
      expect((await alice.client.get(status(bob))).body).toMatchObject({ presence: 'unavailable', status_msg: 'away' });

      // Synapse protects only busy from syncs: a sync's default online wins over unavailable.
      expect((await bob.client.get(`${v3}/sync?timeout=0`)).status).toBe(200);
      const back = await until(() => alice.client.get(status(bob)), (r) => r.body.presence === 'online', 'bob online again');
      expect(back.body).toMatchObject({ presence: 'online', status_msg: 'away', currently_active: true });
    });

    it('does not let one device syncing as unavailable lower the online another just synced (Synapse shows the highest device)', async () => {
      // Bob synced online just before (the previous test); now his other device syncs as unavailable.
      expect((await alice.client.get(status(bob))).body.presence).toBe('online');
      const bobsPhone = await loginUser(new TestClient(runtime.httpUrl), bob.userId);
      expect((await bobsPhone.client.get(`${v3}/sync?timeout=0&set_presence=unavailable`)).status).toBe(200);
      expect((await alice.client.put(status(alice), { presence: 'online', status_msg: 'fence' })).status).toBe(200);
      expect((await alice.client.get(status(bob))).body.presence).toBe('online');
      // An explicit PUT is the user's word: it applies at once.
      expect((await bob.client.put(status(bob), { presence: 'unavailable' })).status).toBe(200);
      expect((await alice.client.get(status(bob))).body.presence).toBe('unavailable');
    });

    // Complement tests/csapi/apidoc_presence_test.go "Presence can be set from sync": the device
    // that went online lowers its own presence by syncing with set_presence=unavailable, at once.
    it('lets presence set through /sync reach other members (Complement: Presence can be set from sync)', async () => {
      expect((await bob.client.put(status(bob), { presence: 'online' })).status).toBe(200);
      const { next_batch: since } = await sync(alice);
      expect((await bob.client.get(`${v3}/sync?timeout=0&set_presence=unavailable`)).status).toBe(200);
      await until(
        () => sync(alice, since),
        (s) => s.presence?.events.some((e) => e.sender === bob.userId && e.content.presence === 'unavailable') === true,
        'bob unavailable in alice /sync',
      );
      // And back online by syncing without set_presence.
      const { next_batch: later } = await sync(alice);
      expect((await bob.client.get(`${v3}/sync?timeout=0`)).status).toBe(200);
      await until(
        () => sync(alice, later),
        (s) => s.presence?.events.some((e) => e.sender === bob.userId && e.content.presence === 'online') === true,
        'bob online in alice /sync',
      );
    });
  });

  describe('sync filters', () => {
    it('leave out ephemeral and presence events a filter excludes', async () => {
      await typing(alice, { typing: true, timeout: 60_000 });
      await alice.client.put(`${v3}/presence/${u(alice.userId)}/status`, { presence: 'online', status_msg: 'filtered' });
      await until(() => sync(bob), (s) => typingIn(s, roomId)?.includes(alice.userId) === true, 'alice typing');
      const filter = encodeURIComponent(JSON.stringify({ room: { ephemeral: { not_types: ['m.typing'] } }, presence: { not_senders: [alice.userId] } }));
      const res = await bob.client.get<SyncResponse>(`${v3}/sync?timeout=0&filter=${filter}`);
      expect(res.status).toBe(200);
      expect(typingIn(res.body, roomId)).toBeUndefined();
      expect((res.body.presence?.events ?? []).map((e) => e.sender)).not.toContain(alice.userId);
      // Unfiltered, both are there.
      const plain = await sync(bob);
      expect(typingIn(plain, roomId)).toContain(alice.userId);
      expect((plain.presence?.events ?? []).map((e) => e.sender)).toContain(alice.userId);
      await typing(alice, { typing: false });
    });
  });

  describe('receipts and read markers', () => {
    let first: string;
    let second: string;
    let elsewhere: string;
    beforeAll(async () => {
      first = (await send(alice.client, roomId, { msgtype: 'm.text', body: 'one' })).body.event_id;
      second = (await send(alice.client, roomId, { msgtype: 'm.text', body: 'two' })).body.event_id;
      elsewhere = (await send(eve.client, otherRoom, { msgtype: 'm.text', body: 'elsewhere' })).body.event_id;
    });

    it('delivers a public read receipt to the room, visible right after the response', async () => {
      const { next_batch: since } = await sync(alice);
      expect((await bob.client.post(path.room(roomId, `receipt/m.read/${u(first)}`), {})).body).toEqual({});
      const receipts = receiptsIn(await sync(alice, since), roomId);
      expect(receipts).toHaveLength(1);
      expect(receipts[0]![first]!['m.read']![bob.userId]!.ts).toBeGreaterThan(0);
      // Initial syncs carry the current receipts too.
      expect(receiptsIn(await sync(alice), roomId)[0]?.[first]?.['m.read']?.[bob.userId]).toBeDefined();
    });

    it('keeps private receipts private to their owner', async () => {
      expect((await bob.client.post(path.room(roomId, `receipt/m.read.private/${u(second)}`), {})).status).toBe(200);
      const mine = receiptsIn(await sync(bob), roomId);
      expect(mine[0]?.[second]?.['m.read.private']?.[bob.userId]).toBeDefined();
      const theirs = receiptsIn(await sync(alice), roomId);
      expect(JSON.stringify(theirs)).not.toContain('m.read.private');
      expect(await roomReceipts.key(roomId).key(`m.read.private\u0000\u0000${bob.userId}`).get({ consistent: true })).toMatchObject({ eventId: second });
    });

    it('keeps threaded receipts apart and never moves a receipt back', async () => {
      expect((await alice.client.post(path.room(roomId, `receipt/m.read/${u(second)}`), { thread_id: 'main' })).status).toBe(200);
      const threaded = receiptsIn(await sync(bob), roomId);
      expect(threaded[0]?.[second]?.['m.read']?.[alice.userId]?.thread_id).toBe('main');
      // bob read `first` (above), then `second`, then `first` again: his receipt stays on `second`.
      await bob.client.post(path.room(roomId, `receipt/m.read/${u(second)}`), {});
      await bob.client.post(path.room(roomId, `receipt/m.read/${u(first)}`), {});
      expect(await roomReceipts.key(roomId).key(`m.read\u0000\u0000${bob.userId}`).get({ consistent: true })).toMatchObject({ eventId: second });
    });

    it('refuses events of other rooms, unknown events, non-members and bad parameters', async () => {
      expectError(await bob.client.post(path.room(roomId, `receipt/m.read/${u(elsewhere)}`), {}), 404, 'M_NOT_FOUND');
      expectError(await bob.client.post(path.room(roomId, `receipt/m.read/${u('$unknown')}`), {}), 404, 'M_NOT_FOUND');
      expectError(await eve.client.post(path.room(roomId, `receipt/m.read/${u(first)}`), {}), 403, 'M_FORBIDDEN');
      expectError(await bob.client.post(path.room(roomId, `receipt/m.read/${u(first)}`), { thread_id: '' }), 400, 'M_INVALID_PARAM');
      expectError(await bob.client.post(path.room(roomId, `receipt/m.read/${u(first)}`), { thread_id: 5 }), 400, 'M_BAD_JSON');
      expectError(await bob.client.post(path.room(roomId, `receipt/m.fully_read/${u(first)}`), { thread_id: 'main' }), 400, 'M_INVALID_PARAM');
      expect(await roomReceipts.key(roomId).key(`m.read\u0000\u0000${eve.userId}`).get({ consistent: true })).toBeUndefined();
    });

    it('sets the fully-read marker as room account data, with receipts, all or nothing', async () => {
      const marker = `${v3}/user/${u(bob.userId)}/rooms/${u(roomId)}/account_data/m.fully_read`;
      expectError(await bob.client.post(path.room(roomId, 'read_markers'), { 'm.fully_read': first, 'm.read': elsewhere }), 404, 'M_NOT_FOUND');
      expectError(await bob.client.get(marker), 404, 'M_NOT_FOUND');
      expectError(await bob.client.post(path.room(roomId, 'read_markers'), { 'm.fully_read': 7 }), 400, 'M_BAD_JSON');
      expectError(await eve.client.post(path.room(roomId, 'read_markers'), { 'm.fully_read': first }), 403, 'M_FORBIDDEN');

      expect((await bob.client.post(path.room(roomId, 'read_markers'), { 'm.fully_read': first, 'm.read.private': second })).body).toEqual({});
      expect((await bob.client.get(marker)).body).toEqual({ event_id: first });
      expect((await bob.client.post(path.room(roomId, `receipt/m.fully_read/${u(second)}`), {})).status).toBe(200);
      expect((await bob.client.get(marker)).body).toEqual({ event_id: second });
    });
  });
});
