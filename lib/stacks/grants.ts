// What each function may touch, derived from the module declaration alone (no CDK here): the
// stack turns the statements into each role's IAM policy with its resources' ARNs as CloudFormation
// tokens, and the local runtime (lib/local/grants) enforces the same statements with local ARNs.
import { internalPrefixes } from '../core/table-writes.ts';
import type { Access, ModuleDecl } from '../core/module.ts';

export interface FunctionGrants {
  /** `dynamodb:LeadingKeys` patterns the function may read. */
  readKeys: string[];
  /** `dynamodb:LeadingKeys` patterns the function may write. */
  writeKeys: string[];
  /** Depots the function appends to. */
  appends: string[];
  /** Whether it posts to WebSocket connections. */
  pushes: boolean;
  /** Services whose instances it notifies (lib/core/service/notices.ts). */
  notifies: string[];
  /** Whether it reads and writes the blob store. */
  blobs: boolean;
  /** Whether it deletes blobs. */
  deletesBlobs: boolean;
}

export const dynamoReadActions = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem'];
export const dynamoWriteActions = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
];

/** The leading-key pattern of every item of a PState (or core-internal prefix). */
export function leadingKeyPattern(prefix: string): string {
  return `${prefix}#*`;
}

const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

/** What declared access alone grants (a function's or a service's). */
function accessGrants(access: Access, running: readonly string[]): { reads: string[]; writes: string[]; appends: string[]; notifies: string[] } {
  const reads = (access.reads ?? []).map((p) => leadingKeyPattern(p.name));
  const writes = (access.writes ?? []).map((p) => leadingKeyPattern(p.name));
  const notifies = sorted((access.notifies ?? []).filter((s) => running.includes(s)));
  if (notifies.length) {
    // Notifying reads the service's subscribed instances and forgets gone ones.
    reads.push(leadingKeyPattern(internalPrefixes.serviceInstance));
    writes.push(leadingKeyPattern(internalPrefixes.serviceInstance));
  }
  return { reads, writes, appends: sorted((access.appends ?? []).map((d) => d.name)), notifies };
}

/**
 * `running`: the services the deployment runs (default: every declared one). Notifying a service
 * that does not run, and subscribing its instances, need nothing.
 */
export function functionGrants(module: ModuleDecl, fn: string, running: readonly string[] = Object.keys(module.services ?? {})): FunctionGrants {
  const decl = (module.functions as Record<string, ModuleDecl['functions'][string] | undefined>)[fn];
  if (!decl) throw new Error(`module "${module.name}" has no function "${fn}"`);
  const access = decl.access ?? {};
  const { reads, writes, appends, notifies } = accessGrants(access, running);
  if (appends.length) {
    // An append with ack waits for the topology's recorded outcome.
    reads.push(leadingKeyPattern(internalPrefixes.ack));
  }
  if (module.topologies.some((t) => t.function === fn)) {
    // Topologies record ack outcomes, and commit microbatch checkpoints (reading them back to
    // recognise a redelivered batch).
    writes.push(leadingKeyPattern(internalPrefixes.ack), leadingKeyPattern(internalPrefixes.checkpoint));
    reads.push(leadingKeyPattern(internalPrefixes.checkpoint));
  }
  if (running.length && module.websocket.routes.some((r) => r.route === '$connect' && r.function === fn)) {
    // `$connect` claims a service instance's registration for its connection.
    reads.push(leadingKeyPattern(internalPrefixes.serviceInstance));
    writes.push(leadingKeyPattern(internalPrefixes.serviceInstance));
  }
  return grantsOf(reads, writes, appends, access, notifies);
}

/** What a service's task may touch: its declared access, and its own registrations for notices. */
export function serviceGrants(module: ModuleDecl, service: string): FunctionGrants {
  const decl = module.services?.[service];
  if (!decl) throw new Error(`module "${module.name}" has no service "${service}"`);
  const { reads, writes, appends, notifies } = accessGrants(decl.access ?? {}, Object.keys(module.services ?? {}));
  if (appends.length) reads.push(leadingKeyPattern(internalPrefixes.ack));
  writes.push(leadingKeyPattern(internalPrefixes.serviceInstance));
  return grantsOf(reads, writes, appends, decl.access ?? {}, notifies);
}

function grantsOf(reads: string[], writes: string[], appends: string[], access: Access, notifies: string[]): FunctionGrants {
  return {
    // Writing implies reading: a PState commit reads the items it writes first (conditions, element
    // counts, vector sizes: lib/core/pstate/commit.ts).
    readKeys: sorted([...reads, ...writes]),
    writeKeys: sorted(writes),
    appends,
    pushes: access.pushes === true || notifies.length > 0,
    notifies,
    blobs: access.blobs === true,
    deletesBlobs: access.deletesBlobs === true,
  };
}

/**
 * What Lambda needs of the function's role to read a stream for its event source mapping
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-create.html).
 */
export const streamReadActions = ['kinesis:DescribeStream', 'kinesis:DescribeStreamSummary', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards'];
/** And for an enhanced fan-out consumer, on the consumer (https://docs.aws.amazon.com/streams/latest/dev/building-enhanced-consumers-api.html). */
export const consumerReadActions = ['kinesis:DescribeStreamConsumer', 'kinesis:SubscribeToShard'];

/** The reads of the event source mappings invoking the function: its depots' streams, and its consumers. */
function mappingStatements(module: ModuleDecl, fn: string, resources: GrantResources): GrantStatement[] {
  const topologies = module.topologies.filter((t) => t.function === fn);
  if (!topologies.length) return [];
  const statements: GrantStatement[] = [{ actions: streamReadActions, resources: sorted(topologies.map((t) => t.depot)).map((d) => resources.stream(d)) }];
  const enhanced = topologies.filter((t) => t.consumer === 'enhanced');
  if (enhanced.length) statements.push({ actions: consumerReadActions, resources: enhanced.map((t) => resources.consumer(t.name)) });
  return statements;
}

/** An IAM policy statement (always Allow) as plain data: the shape both the stack and the local runtime use. */
export interface GrantStatement {
  actions: string[];
  resources: string[];
  conditions?: Record<string, Record<string, string[]>>;
}

/** The ARNs a function's statements name: CloudFormation tokens in the stack, concrete ARNs locally. */
export interface GrantResources {
  table: string;
  stream(depot: string): string;
  /** The enhanced fan-out consumer of a topology that reads with one. */
  consumer(topology: string): string;
  /** The function's own log group. */
  logGroup: string;
  /** `arn:<partition>:execute-api:<region>:<account>:<api id>` of the WebSocket API and its stage, if any. */
  webSocket?: { apiArn: string; stage: string };
  /** The blob bucket's ARN, if the module has one. */
  blobBucket?: string;
}

/**
 * The statements of a function's role: its log group; the table's items by leading key (read and
 * write separately); PutRecord(s) on the depots it appends to; ManageConnections on the WebSocket
 * stage's `@connections` if it pushes; objects of the blob bucket if it uses blobs; its depots' streams
 * (and its enhanced fan-out consumers) if it is a topology, which its event source mapping reads as it.
 */
export function functionStatements(module: ModuleDecl, fn: string, resources: GrantResources, running: readonly string[] = Object.keys(module.services ?? {})): GrantStatement[] {
  return [
    { actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [resources.logGroup] },
    ...accessStatements(functionGrants(module, fn, running), resources, `function "${fn}"`),
    ...mappingStatements(module, fn, resources),
  ];
}

/**
 * The statements of a service's task role: the same as a function's for what it declares (its
 * container logs go through the task's execution role, not this one). The local runtime enforces
 * them on the service it runs in-process, so a service cannot touch locally what its task could not.
 */
export function serviceStatements(module: ModuleDecl, service: string, resources: Omit<GrantResources, 'logGroup' | 'consumer'>): GrantStatement[] {
  return accessStatements(serviceGrants(module, service), resources, `service "${service}"`);
}

/** Table items by leading key, depot appends, `@connections` and blob objects, as granted. */
function accessStatements(grants: FunctionGrants, resources: Omit<GrantResources, 'logGroup' | 'consumer'>, who: string): GrantStatement[] {
  const statements: GrantStatement[] = [];
  const table = (actions: string[], leadingKeys: string[]) => {
    if (!leadingKeys.length) return;
    statements.push({
      actions,
      resources: [resources.table],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': leadingKeys } },
    });
  };
  table(dynamoReadActions, grants.readKeys);
  table(dynamoWriteActions, grants.writeKeys);
  if (grants.appends.length) {
    statements.push({ actions: ['kinesis:PutRecord', 'kinesis:PutRecords'], resources: grants.appends.map((d) => resources.stream(d)) });
  }
  if (grants.pushes) {
    if (!resources.webSocket) throw new Error(`${who} pushes to WebSocket connections but the module declares no WebSocket routes`);
    const { apiArn, stage } = resources.webSocket;
    // What CDK's WebSocketStage.grantManagementApiAccess grants: any method on any connection of the stage.
    statements.push({ actions: ['execute-api:ManageConnections'], resources: [`${apiArn}/${stage}/*/@connections/*`] });
  }
  if (grants.blobs) {
    if (!resources.blobBucket) throw new Error(`${who} uses blobs but the stack has no blob bucket`);
    // Get and put objects, and list (so a missing key is a 404, not a 403). Deleting is granted apart.
    statements.push({ actions: ['s3:GetObject', 's3:PutObject'], resources: [`${resources.blobBucket}/*`] });
    statements.push({ actions: ['s3:ListBucket'], resources: [resources.blobBucket] });
  }
  if (grants.deletesBlobs) {
    if (!resources.blobBucket) throw new Error(`${who} deletes blobs but the stack has no blob bucket`);
    // Delete objects (a blob and what is kept under its prefix, found by listing).
    statements.push({ actions: ['s3:DeleteObject'], resources: [`${resources.blobBucket}/*`] });
    if (!grants.blobs) statements.push({ actions: ['s3:ListBucket'], resources: [resources.blobBucket] });
  }
  return statements;
}
