// The submissions topology's writes: each command becomes one item, committed exactly once with the
// record's outcome (applyOnce). Only a dismissal reads first: the report must still be there.
import { prepare } from '../../core/pstate/index.ts';
import { expiringAt } from '../../core/table-writes.ts';
import { applyOnce } from '../../core/topology/apply-once.ts';
import type { DepotRecord } from '../../core/topology/records.ts';
import { rejection } from '../commands.ts';
import { notFound } from '../errors.ts';
import type { SubmissionCommand } from './commands.ts';
import { abuseReports, openIdTokens } from './pstates.ts';

/** Report ids order by arrival; the request id (one per append) keeps two in one millisecond apart. */
export function reportId(receivedTs: number, requestId: string): string {
  return `${String(receivedTs).padStart(15, '0')}.${requestId}`;
}

export async function applySubmission(record: DepotRecord<SubmissionCommand>, topology: string): Promise<Record<string, unknown>> {
  const c = record.payload;
  return applyOnce<Record<string, unknown>>(record, topology, async () => {
    if (c.kind === 'submit.openIdToken') {
      const writes = await prepare([openIdTokens.key(c.tokenHash).set({ userId: c.userId, expiresTs: c.expiresTs })]);
      return { writes: expiringAt(writes, Math.ceil(c.expiresTs / 1000)), value: {} };
    }
    if (c.kind === 'submit.dismissReport') {
      const report = abuseReports.key(c.subject).key(c.reportId);
      if (!(await abuseReports.key(c.subject).has(c.reportId, { consistent: true }))) throw rejection(notFound('Event report not found'));
      return { writes: await prepare([report.remove()]), value: {} };
    }
    const id = reportId(c.ts, record.requestId ?? `${record.shardId}:${record.sequenceNumber}`);
    const report = {
      reporter: c.userId,
      reason: c.reason,
      receivedTs: c.ts,
      content: c.content,
      // What a report is not about is empty: an event report names its room and event, a room
      // report its room, a user report its user.
      roomId: c.roomId ?? '',
      eventId: c.eventId ?? '',
      targetUserId: c.targetUserId ?? '',
    };
    return { writes: await prepare([abuseReports.key(c.subject).key(id).set(report)]), value: { reportId: id } };
  });
}
