// The submissions topology: records OpenID tokens and abuse reports from the users depot, each
// exactly once. It shares the depot with the accounts, user-data and keys topologies and takes only
// the records of its own kinds (lib/matrix/submissions/commands.ts).
import { streamTopology } from '../../lib/core/topology/stream.ts';
import { applySubmission } from '../../lib/matrix/submissions/apply.ts';
import { isSubmissionCommandKind, submissionCommand, type SubmissionCommand } from '../../lib/matrix/submissions/commands.ts';
import { commandParser } from '../../lib/matrix/command-fields.ts';

export const SUBMISSIONS_TOPOLOGY = 'submissions';

export const handler = streamTopology<SubmissionCommand, Record<string, unknown>>({
  name: SUBMISSIONS_TOPOLOGY,
  payload: commandParser(submissionCommand),
  accepts: isSubmissionCommandKind,
  handle: (record) => applySubmission(record, SUBMISSIONS_TOPOLOGY),
});
