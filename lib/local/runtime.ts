// The local runtime: everything `npm start` runs, built from the module declaration. It starts the
// engines (or uses given ones), creates the table and streams, serves the HTTP and WebSocket APIs
// and polls the depots for the topologies, all in this process, with AWS's event shapes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, KinesisStreamEvent } from 'aws-lambda';
import { addClientPlugin, removeClientPlugin, resetClients } from '../core/aws-clients.ts';
import { checkDirectoryBlobRequests } from '../core/blobs.ts';
import { depotPartitionsVariable } from '../core/environment.ts';
import type { ModuleDecl } from '../core/module.ts';
import { startEngines, type Engines } from './engines.ts';
import { startEventSourceMappings, type EventSourceMappings } from './event-source-mapping.ts';
import { startHttpGateway, type HttpGateway } from './http-gateway.ts';
import { describeDenial, localGrants, type LocalGrantsOptions } from './iam/enforce.ts';
import { createLocalInvoker, type InvocationRecord } from './lambda.ts';
import { provisionModule } from './provision.ts';
import { startWebSocketGateway, type WebSocketGateway } from './websocket-gateway.ts';
import { startLocalService } from './service.ts';
import type { ServiceHost } from '../http/service-host.ts';

/** The local WebSocket gateway's API id and stage: in its events, and in the `@connections` ARNs grants name. */
const LOCAL_WEBSOCKET = { apiId: 'local', stage: 'local' };

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
  /** Who may register (lib/matrix reads AXON_REGISTRATION): default AXON_REGISTRATION, else `open`. */
  registration?: string;
  /** Keep sliding sync's activity index (lib/matrix reads AXON_ACTIVITY_INDEX): default AXON_ACTIVITY_INDEX, else on. */
  activityIndex?: boolean;
  /** Base URL clients should use, advertised in .well-known; default the HTTP URL. */
  publicBaseUrl?: string;
  verbose?: boolean;
  log?: (line: string) => void;
  onInvocation?: (record: InvocationRecord) => void;
  /**
   * The declared services to run in this process, serving their routes (default: all, as `npm
   * start` does); the others' routes go to their functions, as on AWS when a service is not enabled.
   */
  services?: readonly string[];
  /** Every request a service served (benchmarks count them as HTTP API requests). */
  onServiceRequest?: (service: string, routeKey: string) => void;
  /** Lambda's polling cadence and enhanced fan-out's push delay (see EventSourceMappingOptions.awsTiming). */
  awsTiming?: boolean;
  /** Every AWS request a function's grants allowed (lib/local/iam; tests of which access is used). */
  onAuthorized?: LocalGrantsOptions['onAllowed'];
}

export interface LocalRuntime {
  httpUrl: string;
  wsUrl: string;
  managementEndpoint: string;
  mappings: EventSourceMappings;
  engines?: Engines;
  /** The services running, by name. */
  services: ReadonlyMap<string, ServiceHost>;
  /**
   * Replace a running service with a new instance (fault tests): the old one is stopped cleanly
   * (its waiting requests answered) or killed (`kill`: connections dropped, as a task that dies).
   */
  replaceService(name: string, how: 'stop' | 'kill'): Promise<ServiceHost>;
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
      // Open by default locally, so trying Axon stays one command (closed by default on AWS).
      AXON_REGISTRATION: options.registration ?? process.env.AXON_REGISTRATION ?? 'open',
      // On by default, as on AWS (lib/matrix/rooms/activity-index.ts).
      AXON_ACTIVITY_INDEX: options.activityIndex === undefined ? (process.env.AXON_ACTIVITY_INDEX === 'off' ? 'off' : 'on') : options.activityIndex ? 'on' : 'off',
      AXON_DEPOT_PARTITIONS: depotPartitionsVariable(module.depots),
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

    // Functions notify the services that run (lib/core/service/notices.ts); set before any runs.
    const serviceNames = options.services ?? Object.keys(module.services ?? {});
    for (const name of serviceNames) if (!module.services?.[name]) throw new Error(`module "${module.name}" declares no service "${name}"`);
    process.env.AXON_NOTIFY_SERVICES = serviceNames.join(',');

    // Every SDK call a function makes is checked against the IAM statements the stack gives it.
    const grants = localGrants({
      module,
      tableName: process.env.AXON_TABLE!,
      streamPrefix: process.env.AXON_STREAM_PREFIX!,
      webSocketApiId: LOCAL_WEBSOCKET.apiId,
      webSocketStage: LOCAL_WEBSOCKET.stage,
      services: serviceNames,
      onDenied: (denial) => log(describeDenial(denial)),
      onAllowed: options.onAuthorized,
    });
    addClientPlugin(grants.plugin);
    stops.push(async () => removeClientPlugin(grants.plugin));
    // The media directory stands in for the blob bucket: its requests meet the bucket's grants.
    const uncheckBlobs = checkDirectoryBlobRequests(grants.authorizeBlob);
    stops.push(async () => uncheckBlobs());
    const invoke = createLocalInvoker(module, { onInvocation: options.onInvocation, runAs: grants.runAs });

    // The WebSocket gateway comes first: its management endpoint is part of the handlers' env.
    const ws: WebSocketGateway = await startWebSocketGateway({
      module,
      host,
      port: options.wsPort ?? 8009,
      ...LOCAL_WEBSOCKET,
      invoke: (fn, event) => invoke(fn, event),
      log,
    });
    stops.push(() => ws.stop());
    // $disconnect runs while stopping, after Ctrl-C, which reaches the whole process group (tsx's
    // compiler service too under `npm start`): a handler first imported then could not be compiled.
    await invoke.preload((module.websocket?.routes ?? []).filter((r) => r.route === '$disconnect').map((r) => r.function));

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
      awsTiming: options.awsTiming,
      authorize: (topology) => grants.authorizeMapping(topology),
    });
    stops.push(() => mappings.stop());

    const services = new Map<string, ServiceHost>();
    // Each service runs as its task role, as the functions run as theirs.
    const serviceOptions = { host, webSocketUrl: ws.url, log, onRequest: options.onServiceRequest, runAs: grants.runAsService };
    for (const name of serviceNames) services.set(name, await startLocalService(module, name, serviceOptions));
    stops.push(async () => {
      for (const service of services.values()) await service.stop();
    });
    // The gateway forwards to whichever instance runs now.
    const serviceUrls: Record<string, string> = Object.fromEntries([...services].map(([name, s]) => [name, s.url]));

    const http: HttpGateway = await startHttpGateway({
      module,
      host,
      port: options.httpPort ?? 8008,
      invoke: (fn, event: APIGatewayProxyEventV2) => invoke(fn, event),
      log,
      services: serviceUrls,
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
      services,
      async replaceService(name, how) {
        const old = services.get(name);
        if (!old) throw new Error(`service ${name} is not running`);
        await (how === 'kill' ? old.kill() : old.stop());
        const fresh = await startLocalService(module, name, serviceOptions);
        services.set(name, fresh);
        serviceUrls[name] = fresh.url;
        return fresh;
      },
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
