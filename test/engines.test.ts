import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { dynamoClient, kinesisClient } from '../lib/core/aws-clients.ts';
import { useTestEngines } from './support/engines.ts';

describe('local engines', () => {
  it('answer through the real SDK clients', async () => {
    useTestEngines('engines');
    const tables = await dynamoClient().send(new ListTablesCommand({}));
    expect(Array.isArray(tables.TableNames)).toBe(true);
    const streams = await kinesisClient().send(new ListStreamsCommand({}));
    expect(Array.isArray(streams.StreamNames)).toBe(true);
  });
});
