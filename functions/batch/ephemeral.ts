// The ephemeral microbatch topology: typing, receipts and presence from the ephemeral depot, folded
// per batch into one write per touched room / receipt / user and committed with the checkpoint
// (lib/matrix/ephemeral/fold.ts), then pushed once per connection (lib/matrix/ephemeral/notify.ts).
import { microbatchTopology } from '../../lib/core/topology/microbatch.ts';
import { ephemeralCommand, type EphemeralCommand } from '../../lib/matrix/ephemeral/commands.ts';
import { foldEphemeralBatch } from '../../lib/matrix/ephemeral/fold.ts';
import { notifyEphemeralChanges } from '../../lib/matrix/ephemeral/notify.ts';
import { commandParser } from '../../lib/matrix/command-fields.ts';

export const EPHEMERAL_TOPOLOGY = 'ephemeral';

export const handler = microbatchTopology<EphemeralCommand>({
  name: EPHEMERAL_TOPOLOGY,
  payload: commandParser(ephemeralCommand),
  fold: (records) => foldEphemeralBatch(records, EPHEMERAL_TOPOLOGY, notifyEphemeralChanges),
});
