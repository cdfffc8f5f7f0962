// Exactly-once effect of the ephemeral microbatch topology: the same depot records, delivered as
// Kinesis would on retries (a batch failing before its commit, a batch whose invocation dies after
// its commit and is delivered again, an overlapping retry), leave typing, receipts and presence
// equal to a single clean run. Real DynamoDB Local, handlers fed with Lambda's Kinesis events.
import type { _Record } from '@aws-sdk/client-kinesis';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../lib/core/aws-clients.ts';
import { encodeEnvelope } from '../../lib/core/depot.ts';
import { ensureTable } from '../../lib/core/table.ts';
import { microbatchTopology } from '../../lib/core/topology/microbatch.ts';
import { invocationContext, kinesisEvent } from '../../lib/core/topology/records.ts';
import { ephemeralCommand, type EphemeralCommand } from '../../lib/matrix/ephemeral/commands.ts';
import { foldEphemeralBatch } from '../../lib/matrix/ephemeral/fold.ts';
import { presenceView } from '../../lib/matrix/ephemeral/presence.ts';
import { typingUsers } from '../../lib/matrix/ephemeral/typing.ts';
import { presence, roomEphemeral, roomReceipts } from '../../lib/matrix/pstates.ts';
import { useTestEngines } from '../support/engines.ts';

const TOPOLOGY = 'ephemeral';
const shardId = 'shardId-000000000000';
const source = { shardId, streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/test-ephemeral' };
const room = '!r:localhost';
const users = ['@u0:localhost', '@u1:localhost', '@u2:localhost', '@u3:localhost'];
const base = Date.now();

function records(commands: EphemeralCommand[]): _Record[] {
  return commands.map((command, i) => ({
    SequenceNumber: `4960000000000000000000000000000000000000000000${String(1000 + i)}`,
    PartitionKey: command.kind === 'ephemeral.presence' ? command.userId : command.roomId,
    Data: encodeEnvelope({ partitionKey: 'x', data: command, kind: command.kind }),
    ApproximateArrivalTimestamp: new Date(base + i * 10),
  }));
}

const commands: EphemeralCommand[] = [
  ...users.map((userId): EphemeralCommand => ({ kind: 'ephemeral.typing', roomId: room, userId, typing: true, timeoutMs: 600_000 })),
  { kind: 'ephemeral.typing', roomId: room, userId: users[1]!, typing: false, timeoutMs: 0 },
  { kind: 'ephemeral.receipt', roomId: room, userId: users[0]!, receiptType: 'm.read', eventId: '$e5', position: 5, threadId: '' },
  { kind: 'ephemeral.receipt', roomId: room, userId: users[1]!, receiptType: 'm.read.private', eventId: '$e3', position: 3, threadId: '' },
  { kind: 'ephemeral.presence', userId: users[0]!, presence: 'online', statusMsg: 'hello' },
  { kind: 'ephemeral.presence', userId: users[2]!, presence: 'unavailable' },
  // second half
  { kind: 'ephemeral.receipt', roomId: room, userId: users[0]!, receiptType: 'm.read', eventId: '$e2', position: 2, threadId: '' },
  { kind: 'ephemeral.receipt', roomId: room, userId: users[0]!, receiptType: 'm.read', eventId: '$e7', position: 7, threadId: 'main' },
  { kind: 'ephemeral.typing', roomId: room, userId: users[3]!, typing: false, timeoutMs: 0 },
  { kind: 'ephemeral.presence', userId: users[0]!, presence: 'online' },
  { kind: 'ephemeral.presence', userId: users[3]!, presence: 'online', statusMsg: null },
];
const all = records(commands);
const first = all.slice(0, 9);
const second = all.slice(9);

type Handler = (event: ReturnType<typeof kinesisEvent>) => Promise<unknown>;

function topology(options: { failBeforeCommit?: () => boolean; notify?: () => Promise<void> } = {}): Handler {
  const handler = microbatchTopology<EphemeralCommand>({
    name: TOPOLOGY,
    payload: ephemeralCommand,
    afterCommitAttempts: 1,
    fold: async (batch) => {
      const result = await foldEphemeralBatch(batch, TOPOLOGY, options.notify);
      if (options.failBeforeCommit?.()) throw new Error('crash before the commit');
      return result;
    },
  });
  return (event) => handler(event, invocationContext('ephemeralTopology'));
}

async function snapshot(): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documentClient().send(new ScanCommand({ TableName: process.env.AXON_TABLE, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  const kept = items.filter((i) => /^(roomEphemeral|roomReceipts|presence|syncWatermarks)#/.test(String(i.pk)));
  return kept.sort((a, b) => `${String(a.pk)} ${String(a.sk)}`.localeCompare(`${String(b.pk)} ${String(b.sk)}`));
}

describe('ephemeral microbatches under redelivery', () => {
  let prefix: string;
  const useTable = async (name: string) => {
    process.env.AXON_TABLE = `${prefix}-${name}`;
    await ensureTable();
  };
  let clean: Record<string, unknown>[];

  beforeAll(async () => {
    prefix = useTestEngines('ephemeral-redelivery').prefix;
    await useTable('clean');
    const run = topology();
    await run(kinesisEvent(first, source));
    await run(kinesisEvent(second, source));
    clean = await snapshot();
  });

  it('a clean run folds to the expected state', async () => {
    await useTable('clean');
    const now = base + 1_000;
    const item = await roomEphemeral.key(room).get({ consistent: true });
    expect(typingUsers(item?.typing, now)).toEqual([users[0], users[2]]);
    // u0's receipt moved to $e5, ignored $e2 (behind it); the threaded one is its own receipt.
    expect(await roomReceipts.key(room).key(`m.read\u0000\u0000${users[0]}`).get({ consistent: true })).toMatchObject({ eventId: '$e5', position: 5 });
    expect(await roomReceipts.key(room).key(`m.read\u0000main\u0000${users[0]}`).get({ consistent: true })).toMatchObject({ eventId: '$e7' });
    expect(await roomReceipts.key(room).count({ consistent: true })).toBe(3);
    const u0 = await presence.key(users[0]!).get({ consistent: true });
    expect(presenceView(u0 as never, now)).toMatchObject({ presence: 'online', status_msg: 'hello' });
    expect(clean.length).toBeGreaterThan(6);
  });

  it('a batch retried after failing before its commit has one effect', async () => {
    await useTable('fail-before');
    let failures = 1;
    const run = topology({ failBeforeCommit: () => failures-- > 0 });
    await expect(run(kinesisEvent(first, source))).rejects.toThrow('crash before the commit');
    await run(kinesisEvent(first, source));
    await run(kinesisEvent(second, source));
    expect(await snapshot()).toEqual(clean);
  });

  it('a batch delivered again after its commit (the invocation died afterwards) changes nothing', async () => {
    await useTable('fail-after');
    let pushes = 0;
    const run = topology({
      notify: async () => {
        pushes++;
        throw new Error('crash after the commit');
      },
    });
    await run(kinesisEvent(first, source));
    await run(kinesisEvent(first, source));
    // An overlapping retry: the tail of the first batch with the whole second one.
    await run(kinesisEvent([...first.slice(5), ...second], source));
    await run(kinesisEvent(second, source));
    // A stale redelivery of the first batch would bring u3's typing back and undo statuses: skipped.
    await run(kinesisEvent(first, source));
    expect(await snapshot()).toEqual(clean);
    // Each batch notified once: the redeliveries were skipped before folding.
    expect(pushes).toBe(2);
  });
});
