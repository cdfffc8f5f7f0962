// Test helpers for the shared local engines: every test file gets its own table and stream prefix
// so files can run in parallel against one DynamoDB Local and one kinesis-mock.
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { resetClients } from '../../lib/core/aws-clients.ts';

export interface TestEnvironment {
  dynamoEndpoint: string;
  kinesisEndpoint: string;
  /** Unique per call: use as table name and stream prefix. */
  prefix: string;
}

/**
 * Point the shared AWS clients at the engines and at a fresh, unique table name and stream prefix
 * (not yet created: create them with the local provisioning, or by hand in low-level tests).
 */
export function useTestEngines(label = 'test'): TestEnvironment {
  const dynamoEndpoint = inject('dynamoEndpoint');
  const kinesisEndpoint = inject('kinesisEndpoint');
  const prefix = `${label.replace(/[^a-zA-Z0-9-]/g, '-').slice(0, 40)}-${randomBytes(4).toString('hex')}`;
  process.env.AXON_DYNAMODB_ENDPOINT = dynamoEndpoint;
  process.env.AXON_KINESIS_ENDPOINT = kinesisEndpoint;
  process.env.AXON_TABLE = prefix;
  process.env.AXON_STREAM_PREFIX = prefix;
  resetClients();
  return { dynamoEndpoint, kinesisEndpoint, prefix };
}
