// The users-depot commands of the submissions topology (partition key = the submitting user), told
// apart from the other topologies' commands on the depot by the `submit.` prefix of their kind.
import { z } from 'zod';

const base = { userId: z.string().min(1), ts: z.number() };

export const submissionCommand = z.discriminatedUnion('kind', [
  /** Record an OpenID token (its hash only: the token travels no further than the HTTP response). */
  z.object({ kind: z.literal('submit.openIdToken'), ...base, tokenHash: z.string().min(1), expiresTs: z.number() }),
  /** File an abuse report; the operation checked already that the reporter may see what it names. */
  z.object({
    kind: z.literal('submit.report'),
    ...base,
    subject: z.enum(['event', 'room', 'user']),
    roomId: z.string().optional(),
    eventId: z.string().optional(),
    targetUserId: z.string().optional(),
    reason: z.string(),
    content: z.record(z.string(), z.unknown()),
  }),
]);
export type SubmissionCommand = z.infer<typeof submissionCommand>;
export type SubmissionCommandOf<K extends SubmissionCommand['kind']> = Extract<SubmissionCommand, { kind: K }>;

export const isSubmissionCommandKind = (kind: string | undefined): boolean => kind?.startsWith('submit.') ?? false;
