// Reporting content: events (404 unless the reporter can see the event), rooms (404 unless the
// room exists) and users (200 whether or not the user exists, kept only for existing local users);
// kept reports land in abuseReports through the users depot, rejected ones write nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { abuseReports } from '../../lib/matrix/submissions/pstates.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { createRoom, path, send } from './rooms-support.ts';

const v3 = '/_matrix/client/v3';
const u = encodeURIComponent;

async function reportsOf(subject: 'event' | 'room' | 'user') {
  const page = await abuseReports.key(subject).range({ limit: 100, consistent: true });
  return page.entries.map(([id, report]) => ({ id, ...report }));
}

describe('reporting content', () => {
  let runtime: LocalRuntime;
  let anonymous: TestClient;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let roomId: string;
  let eventId: string;
  beforeAll(async () => {
    runtime = await startTestRuntime('reports');
    anonymous = new TestClient(runtime.httpUrl);
    [alice, bob] = await Promise.all([registerUser(anonymous), registerUser(anonymous)]);
    roomId = await createRoom(alice.client, { preset: 'private_chat' });
    eventId = (await send(alice.client, roomId, { msgtype: 'm.text', body: 'rude words' })).body.event_id;
  });
  afterAll(() => runtime?.stop());

  describe('events', () => {
    const reportPath = (room: string, event: string) => path.room(room, `report/${u(event)}`);

    it('files a report of an event the reporter can see, with the body as sent', async () => {
      const res = await alice.client.post(reportPath(roomId, eventId), { reason: 'spam', score: -100 });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({});
      const [report] = (await reportsOf('event')).filter((r) => r.eventId === eventId);
      expect(report).toMatchObject({ reporter: alice.userId, roomId, eventId, reason: 'spam', content: { reason: 'spam', score: -100 } });
      expect(report!.receivedTs).toBeGreaterThan(0);
      // Both fields are optional.
      expect((await alice.client.post(reportPath(roomId, eventId), {})).status).toBe(200);
    });

    it('answers 404 for an event the reporter cannot see or that does not exist, and files nothing', async () => {
      const before = (await reportsOf('event')).length;
      // Bob is not in the private room: the event is as unknown to him as a made-up one.
      expectError(await bob.client.post(reportPath(roomId, eventId), { reason: 'x' }), 404, 'M_NOT_FOUND');
      expectError(await alice.client.post(reportPath(roomId, '$nope'), { reason: 'x' }), 404, 'M_NOT_FOUND');
      expectError(await alice.client.post(reportPath('!nowhere:localhost', eventId), { reason: 'x' }), 404, 'M_NOT_FOUND');
      expect((await reportsOf('event')).length).toBe(before);
    });

    it('checks reason and score as Synapse does', async () => {
      const before = (await reportsOf('event')).length;
      expectError(await alice.client.post(reportPath(roomId, eventId), { reason: 7 }), 400, 'M_BAD_JSON');
      expectError(await alice.client.post(reportPath(roomId, eventId), { score: 'bad' }), 400, 'M_BAD_JSON');
      expectError(await alice.client.post(reportPath(roomId, eventId), { score: 1.5 }), 400, 'M_BAD_JSON');
      expectError(await alice.client.post(reportPath(roomId, eventId), undefined, { rawBody: 'nope' }), 400, 'M_NOT_JSON');
      expectError(await alice.client.post(reportPath(roomId, eventId), { reason: 'x'.repeat(70_000) }), 413, 'M_TOO_LARGE');
      expectError(await anonymous.post(reportPath(roomId, eventId), { reason: 'x' }), 401, 'M_MISSING_TOKEN');
      expect((await reportsOf('event')).length).toBe(before);
    });
  });

  describe('rooms', () => {
    it('files a report of an existing room, even from a non-member', async () => {
      expect((await bob.client.post(path.room(roomId, 'report'), { reason: 'a bad place' })).status).toBe(200);
      expect((await reportsOf('room')).find((r) => r.reporter === bob.userId)).toMatchObject({ roomId, reason: 'a bad place', eventId: '' });
    });

    it('answers 404 for an unknown room and needs a reason, filing nothing', async () => {
      const before = (await reportsOf('room')).length;
      expectError(await bob.client.post(path.room('!nowhere:localhost', 'report'), { reason: 'x' }), 404, 'M_NOT_FOUND');
      expectError(await bob.client.post(path.room(roomId, 'report'), {}), 400, 'M_MISSING_PARAM');
      expectError(await bob.client.post(path.room(roomId, 'report'), { reason: false }), 400, 'M_BAD_JSON');
      expect((await reportsOf('room')).length).toBe(before);
    });
  });

  describe('users', () => {
    const userReport = (userId: string) => `${v3}/users/${u(userId)}/report`;

    it('files a report of an existing user', async () => {
      expect((await bob.client.post(userReport(alice.userId), { reason: 'harassment' })).status).toBe(200);
      expect((await reportsOf('user')).find((r) => r.reporter === bob.userId)).toMatchObject({ targetUserId: alice.userId, reason: 'harassment' });
    });

    it('answers 200 for unknown and remote users without filing anything (ids cannot be probed)', async () => {
      const before = (await reportsOf('user')).length;
      expect((await bob.client.post(userReport('@nobody:localhost'), { reason: 'x' })).status).toBe(200);
      expect((await bob.client.post(userReport('@someone:elsewhere.example'), { reason: 'x' })).status).toBe(200);
      expect((await reportsOf('user')).length).toBe(before);
    });

    it('refuses bad input, filing nothing', async () => {
      const before = (await reportsOf('user')).length;
      expectError(await bob.client.post(userReport(alice.userId), {}), 400, 'M_MISSING_PARAM');
      expectError(await bob.client.post(userReport(alice.userId), { reason: 'x'.repeat(1001) }), 400, 'M_BAD_JSON');
      expectError(await bob.client.post(userReport('not-a-user-id'), { reason: 'x' }), 400, 'M_INVALID_PARAM');
      expectError(await anonymous.post(userReport(alice.userId), { reason: 'x' }), 401, 'M_MISSING_TOKEN');
      expect((await reportsOf('user')).length).toBe(before);
    });
  });
});
