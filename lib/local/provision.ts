// Creates, in the local engines, the table and the streams a module declares: what the CDK stack
// creates on AWS. Idempotent, so a restart over a persisted data directory finds them in place.
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  ResourceInUseException as StreamInUseException,
  ResourceNotFoundException,
} from '@aws-sdk/client-kinesis';
import { kinesisClient } from '../core/aws-clients.ts';
import { depotStreamName } from '../core/environment.ts';
import { ensureTable } from '../core/table.ts';
import type { ModuleDecl } from '../core/module.ts';

export async function ensureStream(streamName: string, shards: number): Promise<void> {
  try {
    await kinesisClient().send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shards }));
  } catch (e) {
    if (!(e instanceof StreamInUseException)) throw e;
  }
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const { StreamDescriptionSummary } = await kinesisClient().send(
        new DescribeStreamSummaryCommand({ StreamName: streamName }),
      );
      if (StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    } catch (e) {
      if (!(e instanceof ResourceNotFoundException)) throw e;
    }
    if (Date.now() > deadline) throw new Error(`stream ${streamName} did not become ACTIVE`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Create the module's table and one stream per depot, as the CDK stack does on AWS. */
export async function provisionModule(module: ModuleDecl): Promise<void> {
  await Promise.all([
    ensureTable(),
    ...module.depots.map((depot) => ensureStream(depotStreamName(depot.name), depot.shards)),
  ]);
}
