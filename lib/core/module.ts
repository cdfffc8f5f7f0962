// The module declaration: an application declared once, as data plus handler references, the way a
// Rama module declares its depots, PStates and topologies. Both the CDK stack (lib/stacks) and the
// local runtime (lib/local) are built from this one value; nothing about the app is listed twice.

/**
 * What a function may touch; IAM grants on AWS (and their local enforcement) are derived from it.
 * PStates and depots are named by their declaration objects, so a typo or a renamed PState is a
 * type error, not a grant that silently names nothing.
 */
export interface Access {
  /** PStates read. */
  reads?: readonly PStateDecl[];
  /** PStates written. */
  writes?: readonly PStateDecl[];
  /** Depots appended to. */
  appends?: readonly DepotDecl[];
  /** Whether the function posts to WebSocket connections (`@connections`). */
  pushes?: boolean;
  /** Whether the function reads and writes the blob store (media: S3 on AWS). */
  blobs?: boolean;
  /** Whether the function deletes blobs (and what was kept beside them): delete and list, no reads or writes. */
  deletesBlobs?: boolean;
  /** Services whose instances this function tells of news (`notifyInstances`, lib/core/service/notices.ts). */
  notifies?: readonly string[];
}

/**
 * What a function gets when its declaration says nothing: the same on AWS and locally. 30 s covers
 * an HTTP operation waiting for its command's ack (API Gateway gives up at 30 s anyway).
 */
export const functionDefaults = { memoryMb: 512, timeoutSeconds: 30 } as const;

/** How long an HTTP API waits for a function's answer (a hard AWS quota); then it answers 503 itself. */
export const API_GATEWAY_INTEGRATION_TIMEOUT_MS = 30_000;

/** A Lambda function: a handler module exporting `handler` (or `exportName`). */
export interface FunctionDecl {
  /** Path of the handler module relative to the project root, e.g. `functions/http/discovery.ts`. */
  entry: string;
  exportName?: string;
  access?: Access;
  memoryMb?: number;
  timeoutSeconds?: number;
  description?: string;
}

/** A depot: an append-only log, one Kinesis stream. Records with one partition key stay in order. */
export interface DepotDecl {
  name: string;
  /** What the partition key is in the domain (documentation, e.g. "room id"). */
  partitionKey: string;
  shards: number;
  /** Retention in hours (24..8760); replay can go back this far. */
  retentionHours?: number;
  /**
   * Rama's depot partitions: the partition keys hash into this many partitions (1..256), each a
   * Kinesis partition key of its own, spread evenly over the shards. A stream topology applies a
   * partition's records one at a time, in order, and partitions in parallel, so positions within a
   * partition order everything applied from it (what a consistent cut needs). Absent: every
   * partition key is its own Kinesis partition key (microbatch depots, which fold whole shards).
   * Changing it re-partitions keys: drain the depot's topologies first.
   */
  partitions?: number;
}

/**
 * A PState: a named, schema-checked structure stored as items of the one table under
 * `pk = <name>#...`. `schema` is a `lib/core/pstate` schema; the declaration only needs its name.
 */
export interface PStateDecl<S = unknown> {
  name: string;
  schema: S;
}

export type TopologyKind = 'stream' | 'microbatch';

/**
 * How a topology reads its depot. `standard`: Lambda polls each shard with GetRecords, about once a
 * second, and every standard consumer of a shard shares its 5 GetRecords/s and 2 MB/s. `enhanced`
 * (enhanced fan-out): Kinesis pushes records to the consumer over its own 2 MB/s per shard, ~70 ms
 * after they are written, for consumer-shard hours and data retrieved.
 */
export type ConsumerKind = 'standard' | 'enhanced';

/**
 * Standard consumers a depot's shards serve before they throttle each other: they share each
 * shard's 5 GetRecords/s and 2 MB/s, and a Lambda mapping polls once a second at its base rate but
 * back to back while catching up. Kinesis measures ~200 ms propagation delay with one consumer and
 * ~1000 ms with five (https://docs.aws.amazon.com/streams/latest/dev/building-consumers.html).
 */
export const MAX_STANDARD_CONSUMERS_PER_SHARD = 2;

/** A topology: a function on a Kinesis event source mapping over one depot. */
export interface TopologyDecl<F extends string = string> {
  name: string;
  kind: TopologyKind;
  depot: string;
  function: F;
  /** Records per invocation (1..10000). */
  batchSize: number;
  /** How long the mapping gathers records before invoking (0..300000 ms). */
  batchingWindowMs: number;
  /** Retries of a failing batch before its records go to the dead-letter destination. */
  maxRetries: number;
  startingPosition?: 'TRIM_HORIZON' | 'LATEST';
  /**
   * Batches of one shard processed at the same time (Lambda's ParallelizationFactor, 1..10; default
   * 1). Records of one Kinesis partition key always go to the same batch, in order. Only for stream
   * topologies: a microbatch commits its shard's checkpoint, which needs one batch at a time.
   */
  parallelization?: number;
  /** How it reads its depot (default `standard`); see ConsumerKind. */
  consumer?: ConsumerKind;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD' | 'OPTIONS';

/** An HTTP API route in API Gateway syntax: `/rooms/{roomId}/send/{eventType}/{txnId}`, `{proxy+}`. */
export interface HttpRouteDecl<F extends string = string> {
  method: HttpMethod;
  path: string;
  function: F;
  /**
   * The operation the function runs for this route (the spec's operationId where there is one).
   * Functions implement operations by name, so a route's path is written only here.
   */
  operation: string;
  /** A service that serves this route instead of the function when the service is enabled. */
  service?: string;
}

/** A WebSocket API route: `$connect`, `$disconnect`, `$default` or an `action` value. */
export interface WebSocketRouteDecl<F extends string = string> {
  route: string;
  function: F;
}

export interface CorsDecl {
  allowOrigins: readonly string[];
  allowMethods: readonly HttpMethod[];
  allowHeaders: readonly string[];
  maxAgeSeconds?: number;
}

/**
 * A long-lived service: a process that serves some HTTP routes itself and holds their requests as
 * long as they wait (long-polls), many at once, told of news by notices that functions broadcast
 * to its instances instead of polling for it. On AWS an ECS service on Fargate behind the HTTP
 * API (when enabled; otherwise the routes' functions serve them), locally the same code in the
 * runtime's process. Instances subscribe to notices through the module's WebSocket API.
 */
export interface ServiceDecl {
  /** Module exporting `service` (or `exportName`), a ServiceDefinition (lib/http/service-host.ts). */
  entry: string;
  exportName?: string;
  description?: string;
  /** What its instances touch; the task role is derived from it as a function's role is. */
  access?: Access;
  /** Task size: CPU units (1024 = one vCPU) and memory in MiB (a valid Fargate combination). */
  cpu: number;
  memoryMb: number;
  /** How long a request may take before the HTTP API gives up (its integration timeout, at most 30 s). */
  timeoutSeconds?: number;
  scaling: {
    minTasks: number;
    maxTasks: number;
    /** Target of open (waiting) requests per task; more tasks start above it. */
    openRequestsPerTask: number;
    /** Target average CPU utilisation (percent). */
    cpuPercent: number;
  };
}

export interface ModuleDecl<F extends string = string> {
  /** Used to name resources: `<name>-<depot>` streams, the stack, log groups. */
  name: string;
  functions: Readonly<Record<F, FunctionDecl>>;
  depots: readonly DepotDecl[];
  pstates: readonly PStateDecl[];
  topologies: readonly TopologyDecl<F>[];
  http: {
    routes: readonly HttpRouteDecl<F>[];
    /** Function answering every request no route matches (unknown path, wrong method). */
    fallback: F;
    cors?: CorsDecl;
    /**
     * The body of the answers the gateway gives itself, with no function involved (a body or
     * headers over its limits, a malformed request, a function that failed or did not answer).
     * Only the local gateway uses it: API Gateway HTTP APIs cannot be given one and answer
     * `{"message": reason}` (what the local gateway answers without it).
     */
    gatewayErrorBody?: (status: number, reason: string) => unknown;
  };
  websocket: {
    routes: readonly WebSocketRouteDecl<F>[];
    /** The `$request.body.<field>` that selects a route. */
    routeSelectionField: string;
  };
  /** Long-lived services, by name (see ServiceDecl). */
  services?: Readonly<Record<string, ServiceDecl>>;
}

/**
 * A part of a module declared in its own file (one API area, one topology): its functions (and
 * services) and what they serve. `composeFragments` merges fragments, so no list is written twice.
 */
export interface ModuleFragment {
  functions: Readonly<Record<string, FunctionDecl>>;
  services?: Readonly<Record<string, ServiceDecl>>;
  routes?: readonly HttpRouteDecl[];
  topologies?: readonly TopologyDecl[];
  webSocketRoutes?: readonly WebSocketRouteDecl[];
}

/** Merge fragments into the parts of a module declaration; a function named twice is an error. */
export function composeFragments(fragments: readonly ModuleFragment[]) {
  const functions: Record<string, FunctionDecl> = {};
  const services: Record<string, ServiceDecl> = {};
  for (const fragment of fragments) {
    for (const [name, fn] of Object.entries(fragment.functions)) {
      if (functions[name]) throw new Error(`function "${name}" is declared in two fragments`);
      functions[name] = fn;
    }
    for (const [name, service] of Object.entries(fragment.services ?? {})) {
      if (services[name]) throw new Error(`service "${name}" is declared in two fragments`);
      services[name] = service;
    }
  }
  return {
    functions,
    services,
    routes: fragments.flatMap((f) => f.routes ?? []),
    topologies: fragments.flatMap((f) => f.topologies ?? []),
    webSocketRoutes: fragments.flatMap((f) => f.webSocketRoutes ?? []),
  };
}

/**
 * Declare a module. Checks references (functions, depots) and uniqueness so that a mistake in the
 * declaration fails at load time, in tests, in `cdk synth` and in `npm start` alike.
 */
export function defineModule<F extends string>(decl: ModuleDecl<F>): ModuleDecl<F> {
  const problems: string[] = [];
  const fnNames = new Set(Object.keys(decl.functions));
  const depotNames = new Set<string>();
  const pstateNames = new Set<string>();
  const unique = (kind: string, seen: Set<string>, name: string) => {
    if (seen.has(name)) problems.push(`${kind} "${name}" is declared twice`);
    seen.add(name);
  };
  for (const d of decl.depots) {
    unique('depot', depotNames, d.name);
    if (!(d.shards >= 1)) problems.push(`depot "${d.name}" needs at least one shard`);
    if (d.partitions !== undefined && !(Number.isInteger(d.partitions) && d.partitions >= 1 && d.partitions <= 256)) {
      problems.push(`depot "${d.name}": partitions must be 1..256`);
    }
  }
  for (const p of decl.pstates) unique('pstate', pstateNames, p.name);
  const fnRef = (where: string, fn: string) => {
    if (!fnNames.has(fn)) problems.push(`${where} names unknown function "${fn}"`);
  };
  const topologyNames = new Set<string>();
  for (const t of decl.topologies) {
    unique('topology', topologyNames, t.name);
    fnRef(`topology "${t.name}"`, t.function);
    if (!depotNames.has(t.depot)) problems.push(`topology "${t.name}" reads unknown depot "${t.depot}"`);
    if (t.batchSize < 1 || t.batchSize > 10_000) problems.push(`topology "${t.name}": batchSize must be 1..10000`);
    if (t.batchingWindowMs < 0 || t.batchingWindowMs > 300_000) problems.push(`topology "${t.name}": batchingWindowMs must be 0..300000`);
    if (t.maxRetries < 0 || t.maxRetries > 10_000) problems.push(`topology "${t.name}": maxRetries must be 0..10000`);
    const parallelization = t.parallelization ?? 1;
    if (!Number.isInteger(parallelization) || parallelization < 1 || parallelization > 10) problems.push(`topology "${t.name}": parallelization must be 1..10`);
    if (t.kind === 'microbatch' && parallelization !== 1) problems.push(`topology "${t.name}": a microbatch topology processes one batch per shard at a time`);
  }
  // Every standard consumer reads every shard of its depot, so the limit is per depot.
  for (const d of decl.depots) {
    const standard = decl.topologies.filter((t) => t.depot === d.name && (t.consumer ?? 'standard') === 'standard');
    if (standard.length > MAX_STANDARD_CONSUMERS_PER_SHARD) {
      problems.push(
        `depot "${d.name}" has ${standard.length} standard consumers (${standard.map((t) => t.name).join(', ')}); ` +
          `its shards serve at most ${MAX_STANDARD_CONSUMERS_PER_SHARD}: give some enhanced fan-out, or one topology that dispatches to them`,
      );
    }
  }
  const routeKeys = new Set<string>();
  for (const r of decl.http.routes) {
    unique('http route', routeKeys, `${r.method} ${r.path}`);
    fnRef(`route "${r.method} ${r.path}"`, r.function);
  }
  fnRef('http fallback', decl.http.fallback);
  const wsRoutes = new Set<string>();
  for (const r of decl.websocket.routes) {
    unique('websocket route', wsRoutes, r.route);
    fnRef(`websocket route "${r.route}"`, r.function);
  }
  const services = decl.services ?? {};
  const accessProblems = (who: string, access: Access | undefined) => {
    // By identity: another object with a declared name is a declaration the module does not hold.
    for (const d of access?.appends ?? []) if (!decl.depots.includes(d)) problems.push(`${who} appends to undeclared depot "${d.name}"`);
    for (const p of [...(access?.reads ?? []), ...(access?.writes ?? [])]) {
      if (!decl.pstates.includes(p)) problems.push(`${who} names undeclared pstate "${p.name}"`);
    }
    for (const s of access?.notifies ?? []) if (!(s in services)) problems.push(`${who} notifies unknown service "${s}"`);
  };
  for (const [name, fn] of Object.entries(decl.functions) as [string, FunctionDecl][]) accessProblems(`function "${name}"`, fn.access);
  for (const [name, service] of Object.entries(services)) {
    accessProblems(`service "${name}"`, service.access);
    if (!decl.http.routes.some((r) => r.service === name)) problems.push(`service "${name}" serves no route`);
    if (!wsRoutes.has('$connect')) problems.push(`service "${name}" needs a WebSocket $connect route to subscribe to notices`);
    const s = service.scaling;
    if (!(s.minTasks >= 1 && s.maxTasks >= s.minTasks)) problems.push(`service "${name}": scaling needs 1 <= minTasks <= maxTasks`);
    if ((service.timeoutSeconds ?? 30) > 30) problems.push(`service "${name}": timeoutSeconds is at most 30 (the HTTP API's integration timeout)`);
  }
  for (const r of decl.http.routes) if (r.service !== undefined && !(r.service in services)) problems.push(`route "${r.method} ${r.path}" names unknown service "${r.service}"`);
  if (problems.length) throw new Error(`invalid module "${decl.name}":\n- ${problems.join('\n- ')}`);
  return decl;
}

/** The name of the Kinesis stream of a depot. */
export function streamName(moduleName: string, depot: string): string {
  return `${moduleName}-${depot}`;
}

/** API Gateway's route key for an HTTP route: `GET /_matrix/client/versions`. */
export function routeKey(route: Pick<HttpRouteDecl, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}
