// The pushers topology: applies POST /pushers/set commands from the users depot, in order per user,
// each exactly once; it shares the depot with the accounts, user-data and keys topologies and
// takes only its own kinds.
import { streamTopology } from '../../lib/core/topology/stream.ts';
import { applyPusherCommand, isPusherCommandKind, pusherCommand, PUSHERS_TOPOLOGY, type PusherCommand } from '../../lib/matrix/notifications/pushers.ts';
import { commandParser } from '../../lib/matrix/command-fields.ts';

export const handler = streamTopology<PusherCommand, Record<string, unknown>>({
  name: PUSHERS_TOPOLOGY,
  payload: commandParser(pusherCommand),
  accepts: isPusherCommandKind,
  handle: (record) => applyPusherCommand(record),
});
