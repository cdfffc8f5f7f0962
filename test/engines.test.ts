import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { KinesisClient, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, expect, inject, it } from 'vitest';
import { dynamoClient, kinesisClient, localClientConfig } from '../lib/core/aws-clients.ts';
import { ENGINE_HOST, freePort, startKinesisMock } from '../lib/local/engines.ts';
import { useTestEngines } from './support/engines.ts';
import { accepts, externalAddresses, isLoopback, listeningAddresses } from './support/listening.ts';

describe('local engines', () => {
  it('answer through the real SDK clients', async () => {
    useTestEngines('engines');
    const tables = await dynamoClient().send(new ListTablesCommand({}));
    expect(Array.isArray(tables.TableNames)).toBe(true);
    const streams = await kinesisClient().send(new ListStreamsCommand({}));
    expect(Array.isArray(streams.StreamNames)).toBe(true);
  });

  // They answer anyone without authentication (the table holds password hashes and messages):
  // nothing but this machine may reach them.
  const engines = [
    ['DynamoDB Local', 'dynamo', 'dynamoEndpoint'],
    ['kinesis-mock', 'kinesis', 'kinesisEndpoint'],
  ] as const;
  it.each(engines)('%s listens on loopback only', (_name, pidKey, endpointKey) => {
    const port = Number(new URL(inject(endpointKey)).port);
    const listening = listeningAddresses(inject('enginePids')[pidKey]);
    expect(listening.map((a) => a.port)).toContain(port);
    expect(listening.filter((a) => !isLoopback(a.host))).toEqual([]);
  });

  it.each(engines)("%s refuses connections to this machine's other addresses", async (_name, _pidKey, endpointKey) => {
    const port = Number(new URL(inject(endpointKey)).port);
    expect(await accepts('127.0.0.1', port)).toBe(true);
    const external = externalAddresses();
    expect(external.length, 'this check needs a non-loopback interface').toBeGreaterThan(0);
    for (const address of external) expect(await accepts(address, port), address).toBe(false);
  });

  // Ctrl-C signals the terminal's whole foreground process group: engines in Axon's group would
  // stop at once, under the requests Axon is still draining.
  it.each(engines)('%s runs in a process group of its own, out of reach of a Ctrl-C meant for Axon', (_name, pidKey) => {
    const pid = inject('enginePids')[pidKey];
    const group = (p: number) => Number(execFileSync('ps', ['-o', 'pgid=', '-p', String(p)], { encoding: 'utf8' }).trim());
    expect(group(pid)).toBe(pid);
    expect(group(pid)).not.toBe(group(process.pid));
  });
});

describe('kinesis-mock on a port another process holds', () => {
  it('starts on that port once it is let go (a restart keeps the port its clients hold)', async () => {
    const port = await freePort();
    // Another process' server on the port (longer than kinesis-mock takes to try to bind it): it
    // takes connections and drops them.
    const holder = createServer((socket) => socket.destroy());
    await new Promise<void>((listening) => holder.listen(port, ENGINE_HOST, () => listening()));
    const released = new Promise<void>((done) => setTimeout(() => holder.close(() => done()), 10_000));
    const kinesis = await startKinesisMock({ kinesisPort: port, startTimeoutMs: 60_000 });
    try {
      await released;
      expect(kinesis.endpoint).toBe(`http://${ENGINE_HOST}:${port}`);
      const client = new KinesisClient(localClientConfig(kinesis.endpoint));
      expect(Array.isArray((await client.send(new ListStreamsCommand({}))).StreamNames)).toBe(true);
      client.destroy();
    } finally {
      await kinesis.stop();
    }
  }, 120_000);
});
