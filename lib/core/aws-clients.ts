// The AWS SDK v3 clients every part of Axon uses. On AWS they use the function's role and region;
// locally the same clients are pointed at DynamoDB Local and kinesis-mock through env variables.
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Pluggable } from '@smithy/types';
import { Agent } from 'node:http';
import { localManagementCredentials, webSocketManagementEndpoint } from './environment.ts';

/** Config for a client that talks to a local engine: fixed credentials, plain HTTP/1.1 keep-alive. */
export function localClientConfig(endpoint: string) {
  return {
    endpoint,
    region: process.env.AWS_REGION ?? 'us-east-1',
    credentials: { accessKeyId: '000000000000', secretAccessKey: 'local' },
    // kinesis-mock fails with the SDK's default HTTP/2 handler for Kinesis; HTTP/1.1 works for both.
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 256 }) }),
    maxAttempts: 3,
  } satisfies DynamoDBClientConfig;
}

/**
 * Middleware added to every client this module creates (request accounting in benchmarks). It sees
 * every service's inputs and outputs, so it is typed loosely on purpose.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ClientPlugin = Pluggable<any, any>;
const plugins: ClientPlugin[] = [];

export function addClientPlugin(plugin: ClientPlugin): void {
  plugins.push(plugin);
  resetClients();
}

export function removeClientPlugin(plugin: ClientPlugin): void {
  const i = plugins.indexOf(plugin);
  if (i >= 0) plugins.splice(i, 1);
  resetClients();
}

function configFor(endpointVar: string) {
  const endpoint = process.env[endpointVar];
  return endpoint ? localClientConfig(endpoint) : {};
}

let dynamo: DynamoDBClient | undefined;
let documents: DynamoDBDocumentClient | undefined;
let kinesis: KinesisClient | undefined;

export function dynamoClient(): DynamoDBClient {
  if (!dynamo) {
    dynamo = new DynamoDBClient(configFor('AXON_DYNAMODB_ENDPOINT'));
    for (const p of plugins) dynamo.middlewareStack.use(p);
  }
  return dynamo;
}

/** Document client: plain JS values in and out, `undefined` fields dropped. */
export function documentClient(): DynamoDBDocumentClient {
  documents ??= DynamoDBDocumentClient.from(dynamoClient(), {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
    unmarshallOptions: { wrapNumbers: false },
  });
  return documents;
}

export function kinesisClient(): KinesisClient {
  if (!kinesis) {
    kinesis = new KinesisClient(configFor('AXON_KINESIS_ENDPOINT'));
    for (const p of plugins) kinesis.middlewareStack.use(p);
  }
  return kinesis;
}

let s3: S3Client | undefined;

/** S3 for blobs (media); on AWS only: locally blobs live in a directory (lib/core/blobs.ts). */
export function s3Client(): S3Client {
  if (!s3) {
    s3 = new S3Client({});
    for (const p of plugins) s3.middlewareStack.use(p);
  }
  return s3;
}

let management: { key: string; client: ApiGatewayManagementApiClient } | undefined;

/**
 * The `@connections` client of the WebSocket API (PostToConnection, DeleteConnection). Locally the
 * endpoint is the local gateway's, so it gets the local HTTP handler and signs with the key the
 * local gateway accepts (AXON_WS_MANAGEMENT_*: one per run).
 */
export function managementClient(): ApiGatewayManagementApiClient {
  const endpoint = webSocketManagementEndpoint();
  if (!endpoint) throw new Error('AXON_WS_MANAGEMENT_ENDPOINT is not set: this function does not push');
  const credentials = localManagementCredentials();
  const key = `${endpoint} ${credentials?.accessKeyId ?? ''} ${credentials?.secretAccessKey ?? ''}`;
  if (management?.key !== key) {
    management?.client.destroy();
    // AWS's endpoint is https://<api>.execute-api.<region>.amazonaws.com/<stage>; the local one is plain http.
    const local = endpoint.startsWith('http://');
    const client = new ApiGatewayManagementApiClient(
      local ? { ...localClientConfig(endpoint), ...(credentials ? { credentials } : {}) } : { endpoint },
    );
    for (const p of plugins) client.middlewareStack.use(p);
    management = { key, client };
  }
  return management.client;
}

/** Drop cached clients so the next call sees changed env variables or plugins. */
export function resetClients(): void {
  dynamo?.destroy();
  kinesis?.destroy();
  s3?.destroy();
  s3 = undefined;
  management?.client.destroy();
  management = undefined;
  dynamo = undefined;
  documents = undefined;
  kinesis = undefined;
}
