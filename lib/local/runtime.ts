// The local runtime: everything `npm start` runs, built from the module declaration. It starts the
// engines (or uses given ones), creates the table and streams, serves the HTTP and WebSocket APIs
// and polls the depots for the topologies, all in this process, with AWS's event shapes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, KinesisStreamEvent } from 'aws-lambda';
import { resetClients } from '../core/aws-clients.ts';
import type { ModuleDecl } from '../core/module.ts';
import { startEngines, type Engines } from './engines.ts';
import { startEventSourceMappings, type EventSourceMappings } from './event-source-mapping.ts';
import { startHttpGateway, type HttpGateway } from './http-gateway.ts';
import { createLocalInvoker, type InvocationRecord } from './lambda.ts';
import { provisionModule } from './provision.ts';
import { startWebSocketGateway, type WebSocketGateway } from './websocket-gateway.ts';

export interface LocalRuntimeOptions {
  module: ModuleDecl;
  /** Where the engines keep their data; ignored when `engines` is given or `inMemory` is set. */
  dataDir?: string;
  inMemory?: boolean;
  host?: string;
  httpPort?: number;
  wsPort?: number;
  /** Use already running engines (tests share one pair) instead of starting new ones. */
  engines?: { dynamoEndpoint: string; kinesisEndpoint: string };
  /** Table name and stream prefix; default the module's name. */
  tableName?: string;
  streamPrefix?: string;
  serverName?: string;
  /** Base URL clients should use, advertised in .well-known; default the HTTP URL. */
  publicBaseUrl?: string;
  verbose?: boolean;
  log?: (line: string) => void;
  onInvocation?: (record: InvocationRecord) => void;
}

export interface LocalRuntime {
  httpUrl: string;
  wsUrl: string;
  managementEndpoint: string;
  mappings: EventSourceMappings;
  engines?: Engines;
  stop(): Promise<void>;
}

/** Start the runtime; if any part fails to start, the parts already started are stopped. */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const { module } = options;
  const log = options.log ?? (() => undefined);
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (e) {
        log(`stop failed: ${(e as Error).message}`);
      }
    }
    stops.length = 0;
  };

  try {
    let engines: Engines | undefined;
    let endpoints = options.engines;
    if (!endpoints) {
      engines = await startEngines({ dataDir: options.inMemory ? undefined : options.dataDir, verbose: options.verbose });
      stops.push(() => engines!.stop());
      endpoints = { dynamoEndpoint: engines.dynamo.endpoint, kinesisEndpoint: engines.kinesis.endpoint };
    }
    const host = options.host ?? '127.0.0.1';
    Object.assign(process.env, {
      AXON_DYNAMODB_ENDPOINT: endpoints.dynamoEndpoint,
      AXON_KINESIS_ENDPOINT: endpoints.kinesisEndpoint,
      AXON_TABLE: options.tableName ?? module.name,
      AXON_STREAM_PREFIX: options.streamPrefix ?? module.name,
      AXON_SERVER_NAME: options.serverName ?? process.env.AXON_SERVER_NAME ?? 'localhost',
    });
    resetClients();
    await provisionModule(module);

    // Media blobs (lib/core/blobs.ts): beside the engines' data, or in a temporary directory
    // removed on stop when nothing is kept.
    if (options.dataDir && !options.inMemory) {
      process.env.AXON_MEDIA_DIR = join(options.dataDir, 'media');
    } else {
      const mediaDir = await mkdtemp(join(tmpdir(), 'axon-media-'));
      stops.push(() => rm(mediaDir, { recursive: true, force: true }));
      process.env.AXON_MEDIA_DIR = mediaDir;
    }

    const invoke = createLocalInvoker(module, { onInvocation: options.onInvocation });

    // The WebSocket gateway comes first: its management endpoint is part of the handlers' env.
    const ws: WebSocketGateway = await startWebSocketGateway({
      module,
      host,
      port: options.wsPort ?? 8009,
      invoke: (fn, event) => invoke(fn, event),
      log,
    });
    stops.push(() => ws.stop());

    Object.assign(process.env, {
      AXON_WS_MANAGEMENT_ENDPOINT: ws.managementEndpoint,
      AXON_WS_MANAGEMENT_ACCESS_KEY_ID: ws.managementCredentials.accessKeyId,
      AXON_WS_MANAGEMENT_SECRET_ACCESS_KEY: ws.managementCredentials.secretAccessKey,
      AXON_WS_URL: ws.url,
    });

    const mappings = await startEventSourceMappings({
      module,
      invoke: (fn, event: KinesisStreamEvent) => invoke(fn, event),
      log,
    });
    stops.push(() => mappings.stop());

    const http: HttpGateway = await startHttpGateway({
      module,
      host,
      port: options.httpPort ?? 8008,
      invoke: (fn, event: APIGatewayProxyEventV2) => invoke(fn, event),
      log,
    });
    stops.push(() => http.stop());
    // Handlers read it per request; known only now when port 0 picked a free port.
    process.env.AXON_PUBLIC_BASE_URL = options.publicBaseUrl ?? http.url;

    return {
      httpUrl: http.url,
      wsUrl: ws.url,
      managementEndpoint: ws.managementEndpoint,
      mappings,
      engines,
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
