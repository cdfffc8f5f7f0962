// Reporting content (Client-Server "Reporting content"): events, rooms and users, checked as
// Synapse checks them, then filed through the users depot (submissions topology) for moderators.
// - an event: 404 unless the reporter can see it (an unknown room, one they are not in, or an
//   event hidden by history visibility all look the same);
// - a room: 404 unless it exists (the reporter need not be in it);
// - a user: 200 whether or not the user exists, as Synapse does so that ids cannot be probed;
//   only reports of local, existing users are kept.
import { z } from 'zod';
import { submit } from '../commands.ts';
import { MatrixError, badJson, invalidParam, notFound, tooLarge } from '../errors.ts';
import { isLocalUser, isValidUserId } from '../ids.ts';
import { roomInfo, users } from '../pstates.ts';
import { parseRequestBody } from '../request-schemas.ts';
import { MAX_REPORT_BYTES, type SubmissionCommandOf } from '../submissions/commands.ts';
import { viewRoom } from '../timeline/access.ts';
import { visibleEntry } from '../timeline/visible-entry.ts';

export { MAX_REPORT_BYTES };
/** Synapse's limit on the reason of a user report. */
export const MAX_USER_REPORT_REASON = 1000;

const reasonRequired = z.looseObject({ reason: z.string() });

function boundedBody(body: unknown): Record<string, unknown> {
  const object = parseRequestBody(z.looseObject({}), body) as Record<string, unknown>;
  if (Buffer.byteLength(JSON.stringify(object)) > MAX_REPORT_BYTES) throw tooLarge(`A report may hold at most ${MAX_REPORT_BYTES} bytes`);
  return object;
}

async function file(report: Omit<SubmissionCommandOf<'submit.report'>, 'kind' | 'ts'>, now: number): Promise<void> {
  const command: SubmissionCommandOf<'submit.report'> = { kind: 'submit.report', ts: now, ...report };
  await submit('users', report.userId, command);
}

const cannotSeeEvent = () => notFound("Unable to report event: it does not exist or you aren't able to see it.");

export async function reportEvent(reporter: string, roomId: string, eventId: string, body: unknown, now = Date.now()): Promise<void> {
  const content = boundedBody(body);
  // Synapse's checks: both optional, the score (dropped from the spec in v1.18) an integer if sent.
  if (content.reason !== undefined && typeof content.reason !== 'string') throw badJson("Param 'reason' must be a string");
  if (content.score !== undefined && !Number.isInteger(content.score)) throw badJson("Param 'score' must be an integer");
  try {
    await visibleEntry(await viewRoom(roomId, reporter), eventId);
  } catch (e) {
    if (e instanceof MatrixError && (e.status === 403 || e.status === 404)) throw cannotSeeEvent();
    throw e;
  }
  await file({ userId: reporter, subject: 'event', roomId, eventId, reason: (content.reason as string | undefined) ?? '', content }, now);
}

export async function reportRoom(reporter: string, roomId: string, body: unknown, now = Date.now()): Promise<void> {
  const content = boundedBody(body);
  const { reason } = parseRequestBody(reasonRequired, content);
  const info = await roomInfo.key(roomId).fields(['createdTs']);
  if (info?.createdTs === undefined) throw notFound('Room does not exist');
  await file({ userId: reporter, subject: 'room', roomId, reason, content }, now);
}

export async function reportUser(reporter: string, targetUserId: string, body: unknown, now = Date.now()): Promise<void> {
  const content = boundedBody(body);
  const { reason } = parseRequestBody(reasonRequired, content);
  if (!isValidUserId(targetUserId)) throw invalidParam('Invalid user ID');
  if (reason.length > MAX_USER_REPORT_REASON) throw badJson(`Reason must be less than ${MAX_USER_REPORT_REASON} characters`);
  if (!isLocalUser(targetUserId)) return;
  const target = await users.key(targetUserId).fields(['createdTs']);
  if (target?.createdTs === undefined) return;
  await file({ userId: reporter, subject: 'user', targetUserId, reason, content }, now);
}
