// Request accounting for benchmarks: a middleware on the shared AWS SDK clients that counts requests
// per service and operation, sums DynamoDB ConsumedCapacity and Kinesis records / PUT payload units,
// and attributes all of it to the benchmark phase running at the time. Phases are sequential: one
// "current phase" at a time (concurrent phases would need AsyncLocalStorage and are not needed).
import type { MetadataBearer, Pluggable, SerializeHandler, SerializeHandlerArguments, SerializeHandlerOutput, SerializeMiddleware } from '@smithy/types';
import { addClientPlugin, removeClientPlugin } from '../lib/core/aws-clients.ts';
import { internalPrefixes } from '../lib/core/table-writes.ts';

/** Requests and billed units of one operation of one service within one phase. */
export interface OperationCount {
  service: string;
  operation: string;
  requests: number;
  /** Requests that ended with an error (after SDK retries). */
  errors: number;
  /** DynamoDB read capacity units consumed (ReturnConsumedCapacity TOTAL). */
  readCapacityUnits: number;
  /** DynamoDB write capacity units consumed. */
  writeCapacityUnits: number;
  /** Kinesis records put. */
  kinesisRecords: number;
  /** Kinesis PUT payload units: one per started 25 KB of each record (provisioned-mode billing). */
  putPayloadUnits: number;
  /** Kinesis bytes ingested, each record rounded up to 1 KB (on-demand billing). */
  kinesisBytesIn: number;
  /** Kinesis bytes read by GetRecords (on-demand billing). */
  kinesisBytesOut: number;
  /** Lambda GB-seconds (recorded by hand from measured handler durations and configured memory). */
  gbSeconds: number;
}

export interface PhaseAccounting {
  phase: string;
  operations: OperationCount[];
}

export const OUTSIDE_PHASES = '(outside phases)';

/** Service name of requests that only the local emulation makes (not billed on AWS, not priced). */
export const LOCAL_MAPPING_SERVICE = 'local event source mapping (DynamoDB)';

function startsWithLocalMapping(value: unknown): boolean {
  const text = typeof value === 'string' ? value : value && typeof value === 'object' && 'S' in value ? (value as { S: unknown }).S : undefined;
  return typeof text === 'string' && text.startsWith(`${internalPrefixes.localMapping}#`);
}

function isLocalMappingRequest(input: Json): boolean {
  const key = (input.Key ?? input.Item) as Json | undefined;
  if (key && startsWithLocalMapping(key.pk)) return true;
  const values = input.ExpressionAttributeValues as Json | undefined;
  return values !== undefined && startsWithLocalMapping(values[':pk']);
}

/** The PState names (pk up to its first `#`) of the items a DynamoDB request names, sorted. */
function touchedNames(input: Json): string[] {
  const keys: unknown[] = [];
  const values = input.ExpressionAttributeValues as Json | undefined;
  keys.push((input.Key as Json | undefined)?.pk, (input.Item as Json | undefined)?.pk, values?.[':pk']);
  for (const request of Object.values((input.RequestItems as Record<string, Json> | undefined) ?? {})) {
    for (const key of (request.Keys as Json[] | undefined) ?? []) keys.push(key.pk);
  }
  for (const item of (input.TransactItems as Json[] | undefined) ?? []) {
    for (const op of Object.values(item) as Json[]) keys.push((op.Key as Json | undefined)?.pk, (op.Item as Json | undefined)?.pk);
  }
  const names = keys.flatMap((k) => {
    const text = typeof k === 'string' ? k : k && typeof k === 'object' && 'S' in k ? (k as { S: unknown }).S : undefined;
    return typeof text === 'string' ? [text.split('#')[0]!] : [];
  });
  return [...new Set(names)].sort();
}

const KB = 1024;
const PUT_PAYLOAD_UNIT_BYTES = 25 * KB;

// Operations that accept ReturnConsumedCapacity (DynamoDB API reference).
const capacityOperations = new Set([
  'GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'Scan', 'BatchGetItem', 'BatchWriteItem',
  'TransactGetItems', 'TransactWriteItems', 'ExecuteStatement', 'BatchExecuteStatement', 'ExecuteTransaction',
]);
const readOperations = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);

interface ConsumedCapacity {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

type Json = Record<string, unknown>;

function byteLength(value: unknown): number {
  if (value instanceof Uint8Array) return value.byteLength;
  if (typeof value === 'string') return Buffer.byteLength(value);
  return 0;
}

/** Billed size of one Kinesis record: data plus partition key (both count towards the 1 MB limit). */
function recordBytes(record: Json): number {
  return byteLength(record.Data) + byteLength(record.PartitionKey);
}

export class RequestAccounting {
  private current = OUTSIDE_PHASES;
  private readonly phases = new Map<string, Map<string, OperationCount>>();
  /** Per phase, DynamoDB requests by `<operation> <PState names>`: where the requests of a phase go. */
  private readonly targets = new Map<string, Map<string, number>>();
  private installed = false;

  /** The middleware; install it on the shared clients with `install()`. */
  readonly plugin: Pluggable<object, object> = {
    applyToStack: (stack) => {
      const middleware: SerializeMiddleware<object, object> = (next, context) => (args) =>
        this.handle(next as SerializeHandler<object, MetadataBearer>, args, context.clientName ?? 'unknown', context.commandName ?? 'unknown');
      stack.add(
        middleware,
        // High priority in the serialize step: after lib-dynamodb has marshalled its input (initialize
        // step), before the request is serialized, and outside the retry loop (one count per call).
        { step: 'serialize', priority: 'high', name: 'axonRequestAccounting', override: true },
      );
    },
  };

  install(): void {
    if (this.installed) return;
    addClientPlugin(this.plugin);
    this.installed = true;
  }

  uninstall(): void {
    if (!this.installed) return;
    removeClientPlugin(this.plugin);
    this.installed = false;
  }

  get phase(): string {
    return this.current;
  }

  /** Runs `fn` with every request it makes attributed to `phase`. Phases must not overlap. */
  async during<T>(phase: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.current;
    this.current = phase;
    this.phases.set(phase, this.phases.get(phase) ?? new Map());
    try {
      return await fn();
    } finally {
      this.current = previous;
    }
  }

  /** Records a billed event that does not go through an SDK client (e.g. a Lambda invocation). */
  record(service: string, operation: string, units: Partial<Omit<OperationCount, 'service' | 'operation'>> = {}): void {
    const count = this.entry(service, operation);
    for (const [key, value] of Object.entries(units) as [keyof typeof units, number][]) count[key] += value;
  }

  snapshot(): PhaseAccounting[] {
    return [...this.phases].map(([phase, operations]) => ({
      phase,
      operations: [...operations.values()].map((op) => ({ ...op })).sort((a, b) => `${a.service}.${a.operation}`.localeCompare(`${b.service}.${b.operation}`)),
    }));
  }

  /** Counts of one phase (empty if it made no requests). */
  phaseCounts(phase: string): OperationCount[] {
    return this.snapshot().find((p) => p.phase === phase)?.operations ?? [];
  }

  /** DynamoDB requests of a phase by operation and the PStates (or internal items) they touched, most first. */
  targetCounts(phase: string): { target: string; requests: number }[] {
    return [...(this.targets.get(phase) ?? [])].map(([target, requests]) => ({ target, requests })).sort((a, b) => b.requests - a.requests);
  }

  reset(): void {
    this.phases.clear();
    this.targets.clear();
  }

  private entry(service: string, operation: string): OperationCount {
    const phase = this.current;
    let operations = this.phases.get(phase);
    if (!operations) this.phases.set(phase, (operations = new Map()));
    const key = `${service}.${operation}`;
    let count = operations.get(key);
    if (!count) {
      count = {
        service, operation, requests: 0, errors: 0, readCapacityUnits: 0, writeCapacityUnits: 0,
        kinesisRecords: 0, putPayloadUnits: 0, kinesisBytesIn: 0, kinesisBytesOut: 0, gbSeconds: 0,
      };
      operations.set(key, count);
    }
    return count;
  }

  private async handle(
    next: SerializeHandler<object, MetadataBearer>,
    args: SerializeHandlerArguments<object>,
    clientName: string,
    commandName: string,
  ): Promise<SerializeHandlerOutput<MetadataBearer>> {
    const operation = commandName.replace(/Command$/, '');
    // The local event source mapping keeps its shard checkpoints in the table; on AWS Lambda keeps
    // them inside the service, unbilled. Count them apart so that they are not priced.
    const service = isLocalMappingRequest(args.input as Json) ? LOCAL_MAPPING_SERVICE : clientName.replace(/Client$/, '');
    const count = this.entry(service, operation);
    const input = args.input as Json;
    count.requests++;
    if (service === 'DynamoDB' && capacityOperations.has(operation) && input.ReturnConsumedCapacity === undefined) {
      args = { ...args, input: { ...input, ReturnConsumedCapacity: 'TOTAL' } };
    }
    if (service === 'Kinesis') this.countPut(count, operation, input);
    if (service === 'DynamoDB') this.countTarget(operation, input);
    let result: SerializeHandlerOutput<MetadataBearer>;
    try {
      result = await next(args);
    } catch (error) {
      count.errors++;
      throw error;
    }
    const output = result.output as unknown as Json;
    if (service === 'DynamoDB') this.countCapacity(count, operation, output.ConsumedCapacity);
    if (service === 'Kinesis' && operation === 'GetRecords' && Array.isArray(output.Records)) {
      for (const record of output.Records as Json[]) count.kinesisBytesOut += recordBytes(record);
    }
    return result;
  }

  private countTarget(operation: string, input: Json): void {
    const target = `${operation} ${touchedNames(input).join('+') || '?'}`;
    let targets = this.targets.get(this.current);
    if (!targets) this.targets.set(this.current, (targets = new Map()));
    targets.set(target, (targets.get(target) ?? 0) + 1);
  }

  private countPut(count: OperationCount, operation: string, input: Json): void {
    const records = operation === 'PutRecord' ? [input] : operation === 'PutRecords' && Array.isArray(input.Records) ? (input.Records as Json[]) : [];
    for (const record of records) {
      const bytes = recordBytes(record);
      count.kinesisRecords++;
      count.putPayloadUnits += Math.max(1, Math.ceil(bytes / PUT_PAYLOAD_UNIT_BYTES));
      count.kinesisBytesIn += Math.max(1, Math.ceil(bytes / KB)) * KB;
    }
  }

  private countCapacity(count: OperationCount, operation: string, consumed: unknown): void {
    const entries = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) as ConsumedCapacity[];
    for (const c of entries) {
      if (c.ReadCapacityUnits !== undefined || c.WriteCapacityUnits !== undefined) {
        count.readCapacityUnits += c.ReadCapacityUnits ?? 0;
        count.writeCapacityUnits += c.WriteCapacityUnits ?? 0;
      } else if (readOperations.has(operation)) {
        count.readCapacityUnits += c.CapacityUnits ?? 0;
      } else {
        count.writeCapacityUnits += c.CapacityUnits ?? 0;
      }
    }
  }
}
