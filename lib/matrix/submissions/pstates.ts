// PStates of the submissions topology (functions/streams/submissions.ts): what users hand in that
// nothing else derives from — OpenID tokens for third parties, and abuse reports for moderators.
import { z } from 'zod';
import { json, map, number, pstate, record, string } from '../../core/pstate/index.ts';

/**
 * sha256(OpenID token) → whose it is and until when (epoch ms). The token itself is never stored;
 * the item carries the table's TTL attribute too, so DynamoDB drops it some time after expiry.
 */
export const openIdTokens = pstate('openIdTokens', map(string(), record({ userId: string(), expiresTs: number() })));

/**
 * what was reported (`event` | `room` | `user`) → report id (`<received ts, 15 digits>.<request
 * id>`, so a range reads oldest first) → the report, for a moderator to read.
 */
export const abuseReports = pstate(
  'abuseReports',
  map(
    string(),
    map(
      string(),
      record({
        reporter: string(),
        roomId: string(),
        eventId: string(),
        targetUserId: string(),
        reason: string(),
        receivedTs: number(),
        /** The request body as sent (Synapse keeps it too: clients add fields such as `score`). */
        content: json(z.record(z.string(), z.unknown())),
      }),
    ).subindexed(),
  ),
);

export const submissionPStates = [openIdTokens, abuseReports] as const;
