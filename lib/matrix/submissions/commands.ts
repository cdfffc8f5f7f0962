// The users-depot commands of the submissions topology (partition key = the submitting user), told
// apart from the other topologies' commands on the depot by the `submit.` prefix of their kind.
import { z } from 'zod';
import { freeText, id, jsonObjectWithin, text } from '../command-fields.ts';

/** A report is kept whole (one item), its request body included. */
export const MAX_REPORT_BYTES = 64 * 1024;

const base = { userId: id, ts: z.number() };

export const submissionCommand = z.discriminatedUnion('kind', [
  /** Record an OpenID token (its hash only: the token travels no further than the HTTP response). */
  z.object({ kind: z.literal('submit.openIdToken'), ...base, tokenHash: text(1024, { nonEmpty: true }), expiresTs: z.number() }),
  /** File an abuse report; the operation checked already that the reporter may see what it names. */
  z.object({
    kind: z.literal('submit.report'),
    ...base,
    subject: z.enum(['event', 'room', 'user']),
    roomId: id.optional(),
    eventId: id.optional(),
    targetUserId: id.optional(),
    reason: freeText,
    content: jsonObjectWithin(MAX_REPORT_BYTES),
  }),
  /** A server admin dismisses (deletes) a report; `userId` is the admin. */
  z.object({ kind: z.literal('submit.dismissReport'), ...base, subject: z.enum(['event', 'room', 'user']), reportId: id }),
]);
export type SubmissionCommand = z.infer<typeof submissionCommand>;
export type SubmissionCommandOf<K extends SubmissionCommand['kind']> = Extract<SubmissionCommand, { kind: K }>;

export const isSubmissionCommandKind = (kind: string | undefined): boolean => kind?.startsWith('submit.') ?? false;
