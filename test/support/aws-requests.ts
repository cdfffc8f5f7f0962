// What a piece of work costs in AWS requests, measured on the real SDK clients: the bench's request
// accounting (counts by service and operation) plus the peak number of requests in flight at once —
// what decides whether one request can take over the SDK's connection pool and stall the others.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { FinalizeRequestMiddleware, InitializeMiddleware, Pluggable } from '@smithy/types';
import { RequestAccounting } from '../../bench/accounting.ts';
import { addClientPlugin, removeClientPlugin } from '../../lib/core/aws-clients.ts';

export interface AwsCost {
  /** Requests by `<service>.<operation>` (SDK calls; retries inside one call count once). */
  requests: Record<string, number>;
  dynamo: number;
  /** DynamoDB read capacity units consumed (as the table reports them). */
  dynamoReadUnits: number;
  /** Items DynamoDB returned to reads: GetItem's item, BatchGetItem's responses, Query's and Scan's Count. */
  dynamoItemsRead: number;
  /** Kinesis PutRecord and PutRecords calls, and the records they carried. */
  kinesisPuts: number;
  kinesisRecords: number;
  /** Most HTTP requests to AWS in flight at once (every client of this process, pollers included). */
  peakInFlight: number;
}

export async function measureAws<T>(run: () => Promise<T>): Promise<{ result: T; cost: AwsCost }> {
  const accounting = new RequestAccounting();
  let inFlight = 0;
  let peakInFlight = 0;
  let itemsRead = 0;
  const items: Pluggable<object, object> = {
    applyToStack: (stack) => {
      const middleware: InitializeMiddleware<object, object> = (next, context) => async (args) => {
        const result = await next(args);
        const output = result.output as { Item?: unknown; Count?: number; Responses?: Record<string, unknown[]> };
        const command = (context as { commandName?: string }).commandName ?? '';
        if (command === 'GetItemCommand' && output.Item) itemsRead++;
        if (command === 'QueryCommand' || command === 'ScanCommand') itemsRead += output.Count ?? 0;
        if (command === 'BatchGetItemCommand') for (const rows of Object.values(output.Responses ?? {})) itemsRead += rows.length;
        return result;
      };
      stack.add(middleware, { step: 'initialize', name: 'axonTestItemsRead', override: true });
    },
  };
  const concurrency: Pluggable<object, object> = {
    applyToStack: (stack) => {
      const middleware: FinalizeRequestMiddleware<object, object> = (next) => async (args) => {
        peakInFlight = Math.max(peakInFlight, ++inFlight);
        try {
          return await next(args);
        } finally {
          inFlight--;
        }
      };
      // finalizeRequest, below the retry middleware: each attempt on the wire counts.
      stack.add(middleware, { step: 'finalizeRequest', priority: 'low', name: 'axonTestInFlight', override: true });
    },
  };
  accounting.install();
  addClientPlugin(concurrency);
  addClientPlugin(items);
  try {
    const result = await accounting.during('measured', run);
    const ops = accounting.phaseCounts('measured');
    const requests = Object.fromEntries(ops.map((o) => [`${o.service}.${o.operation}`, o.requests]));
    const sum = (filter: (o: (typeof ops)[number]) => boolean, field: 'requests' | 'kinesisRecords' = 'requests') =>
      ops.filter(filter).reduce((n, o) => n + o[field], 0);
    const puts = (o: (typeof ops)[number]) => o.service === 'Kinesis' && o.operation.startsWith('PutRecord');
    return {
      result,
      cost: {
        requests,
        dynamo: sum((o) => o.service === 'DynamoDB'),
        dynamoReadUnits: ops.filter((o) => o.service === 'DynamoDB').reduce((n, o) => n + o.readCapacityUnits, 0),
        dynamoItemsRead: itemsRead,
        kinesisPuts: sum(puts),
        kinesisRecords: sum(puts, 'kinesisRecords'),
        peakInFlight,
      },
    };
  } finally {
    removeClientPlugin(items);
    removeClientPlugin(concurrency);
    accounting.uninstall();
  }
}

/**
 * The AWS requests `run` itself sends (by `<service>.<operation>`), and no one else's: a request
 * counts when it is sent from within `run`'s async context, so the runtime's pollers and the
 * after-commit work of earlier requests, running at the same time, are left out.
 */
export async function measureOwnAws<T>(run: () => Promise<T>): Promise<{ result: T; requests: Record<string, number> }> {
  const scope = new AsyncLocalStorage<true>();
  const requests: Record<string, number> = {};
  const counter: Pluggable<object, object> = {
    applyToStack: (stack) => {
      const middleware: InitializeMiddleware<object, object> = (next, context) => async (args) => {
        if (scope.getStore()) {
          const { clientName, commandName } = context as { clientName?: string; commandName?: string };
          const key = `${(clientName ?? '').replace(/Client$/, '').replace('DynamoDBDocument', 'DynamoDB')}.${(commandName ?? '').replace(/Command$/, '')}`;
          requests[key] = (requests[key] ?? 0) + 1;
        }
        return next(args);
      };
      stack.add(middleware, { step: 'initialize', name: 'axonTestOwnRequests', override: true });
    },
  };
  addClientPlugin(counter);
  try {
    return { result: await scope.run(true, run), requests };
  } finally {
    removeClientPlugin(counter);
  }
}

/** A request as a counting predicate sees it: the SDK command's name and its input. */
export interface SentRequest {
  command: string;
  input: Record<string, unknown>;
}

/**
 * The SDK calls made while `run` runs (by anyone in this process) that `matches` picks;
 * `answered` sees each of them once its answer is in.
 */
export async function countRequests(
  matches: (request: SentRequest) => boolean,
  run: () => Promise<unknown>,
  answered?: (request: SentRequest) => void,
): Promise<number> {
  let count = 0;
  const counter: Pluggable<object, object> = {
    applyToStack: (stack) => {
      const middleware: InitializeMiddleware<object, object> = (next, context) => async (args) => {
        const request = { command: ((context as { commandName?: string }).commandName ?? '').replace(/Command$/, ''), input: (args.input ?? {}) as Record<string, unknown> };
        if (!matches(request)) return next(args);
        count++;
        const result = await next(args);
        answered?.(request);
        return result;
      };
      stack.add(middleware, { step: 'initialize', name: 'axonTestCountRequests', override: true });
    },
  };
  addClientPlugin(counter);
  try {
    await run();
  } finally {
    removeClientPlugin(counter);
  }
  return count;
}
