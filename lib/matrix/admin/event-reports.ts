// Synapse's event reports admin API (docs/admin_api/event_reports.md): list, details, dismiss.
// Reports are filed by the submissions topology (lib/matrix/reports); a dismissal is a command to
// it too. Axon's report ids are strings that order by arrival (`<received ts>.<request id>`),
// where Synapse's are integers: tools use them only as opaque path segments.
import { submit } from '../commands.ts';
import { invalidParam, notFound } from '../errors.ts';
import { getMany } from '../../core/pstate/index.ts';
import type { RoomEvent } from '../events.ts';
import { eventLocations, roomState, roomTimeline } from '../pstates.ts';
import { stateKeyOf } from '../room-state.ts';
import { abuseReports } from '../submissions/pstates.ts';
import type { SubmissionCommandOf } from '../submissions/commands.ts';
import { choiceParam, nonNegativeInteger, page } from './requests.ts';

type StoredReport = NonNullable<Awaited<ReturnType<ReturnType<ReturnType<typeof abuseReports.key>['key']>['get']>>>;

/** The reported event itself, where the timeline keeps it. */
async function reportedEvent(eventId: string): Promise<RoomEvent | undefined> {
  const location = await eventLocations.key(eventId).get();
  if (location?.roomId === undefined || location.position === undefined) return undefined;
  // Positions count from 1, timeline indexes from 0.
  const entry = await roomTimeline.key(location.roomId).key(location.position - 1).get();
  return (entry as { event?: RoomEvent } | undefined)?.event;
}

async function describe(reports: readonly [string, StoredReport][]) {
  const rooms = [...new Set(reports.map(([, r]) => r.roomId ?? ''))].filter(Boolean);
  const names = await getMany(rooms.flatMap((roomId) => [roomState.key(roomId).key(stateKeyOf('m.room.name', '')), roomState.key(roomId).key(stateKeyOf('m.room.canonical_alias', ''))]));
  const roomFacts = new Map(rooms.map((roomId, i) => [roomId, { name: names[2 * i] as RoomEvent | undefined, alias: names[2 * i + 1] as RoomEvent | undefined }]));
  const events = await Promise.all(reports.map(([, r]) => reportedEvent(r.eventId ?? '')));
  return reports.map(([id, r], i) => {
    const facts = roomFacts.get(r.roomId ?? '');
    const score = (r.content as Record<string, unknown> | undefined)?.score;
    const name = facts?.name?.content.name;
    const alias = facts?.alias?.content.alias;
    return {
      report: {
        id,
        received_ts: r.receivedTs ?? 0,
        room_id: r.roomId ?? '',
        name: typeof name === 'string' ? name : null,
        event_id: r.eventId ?? '',
        user_id: r.reporter ?? '',
        reason: r.reason || null,
        score: typeof score === 'number' ? score : null,
        sender: events[i]?.sender ?? null,
        canonical_alias: typeof alias === 'string' ? alias : null,
      },
      event: events[i],
    };
  });
}

/** GET /v1/event_reports: from, limit, dir (newest first by default), user_id, room_id, event_sender_user_id. */
export async function listEventReports(query: URLSearchParams) {
  const from = nonNegativeInteger(query, 'from', 0);
  const limit = nonNegativeInteger(query, 'limit', 100);
  const dir = choiceParam(query, 'dir', ['f', 'b'] as const, 'b');
  const reporter = query.get('user_id');
  const roomId = query.get('room_id');
  const sender = query.get('event_sender_user_id');
  let stored = (await abuseReports.key('event').entries({ limit: 1000 })) as [string, StoredReport][];
  stored = stored.filter(([, r]) => (reporter === null || r.reporter?.includes(reporter)) && (roomId === null || r.roomId?.includes(roomId)));
  let described = await describe(dir === 'b' ? stored.reverse() : stored);
  if (sender !== null) described = described.filter((d) => d.report.sender === sender);
  const { items, next } = page(described, from, limit);
  return { event_reports: items.map((d) => d.report), total: described.length, ...(next !== undefined ? { next_token: next } : {}) };
}

async function storedReport(reportId: string): Promise<StoredReport> {
  if (reportId.length === 0 || reportId.length > 255) throw invalidParam('The report_id parameter must be a string representing a report id');
  const report = await abuseReports.key('event').key(reportId).get({ consistent: true });
  if (report?.receivedTs === undefined) throw notFound('Event report not found');
  return report;
}

/** GET /v1/event_reports/{reportId}: the report with the reported event. */
export async function eventReportDetails(reportId: string) {
  const [described] = await describe([[reportId, await storedReport(reportId)]]);
  return { ...described!.report, event_json: described!.event ?? null };
}

/** DELETE /v1/event_reports/{reportId}. */
export async function dismissEventReport(adminId: string, reportId: string) {
  await storedReport(reportId);
  const command: SubmissionCommandOf<'submit.dismissReport'> = { kind: 'submit.dismissReport', userId: adminId, ts: Date.now(), subject: 'event', reportId };
  await submit('users', adminId, command);
  return {};
}
