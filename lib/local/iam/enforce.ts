// Grants enforced locally: each invocation runs as its function's role (an AsyncLocalStorage
// scope), and a middleware on the shared AWS SDK clients checks every command made inside one
// against the IAM statements the stack gives that function (lib/stacks/grants.ts, the same code),
// refusing it with the AccessDeniedException AWS would return. Calls made outside an invocation
// (provisioning, the local event source mapping, gateways, tests seeding data) are the platform's
// own, as on AWS, and are not checked.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { ApiGatewayManagementApiServiceException } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { KinesisServiceException } from '@aws-sdk/client-kinesis';
import { S3ServiceException } from '@aws-sdk/client-s3';
import type { ClientPlugin } from '../../core/aws-clients.ts';
import type { BlobCommand } from '../../core/blobs.ts';
import { streamName, type ModuleDecl, type TopologyDecl } from '../../core/module.ts';
import { functionStatements, serviceStatements } from '../../stacks/grants.ts';
import { compilePolicy, type AuthorizationRequest, type Decision } from './policy.ts';
import { authorizationRequests, localArns } from './requests.ts';

/** The account and region local ARNs are written in (kinesis-mock's default account). */
export const LOCAL_ACCOUNT = '000000000000';

interface Principal {
  functionName: string;
  roleArn: string;
  decide(request: AuthorizationRequest): Decision;
}

type ServiceExceptionClass = new (options: {
  name: string;
  $fault: 'client';
  $metadata: { httpStatusCode: number; requestId: string; attempts: number; totalRetryDelay: number };
  message: string;
}) => Error;

/** Each client's own exception class and the status its service answers a denied request with. */
const exceptions: Record<string, { type: ServiceExceptionClass; status: number }> = {
  DynamoDBClient: { type: DynamoDBServiceException, status: 400 },
  KinesisClient: { type: KinesisServiceException, status: 400 },
  ApiGatewayManagementApiClient: { type: ApiGatewayManagementApiServiceException, status: 403 },
  S3Client: { type: S3ServiceException, status: 403 },
};

/** An AccessDeniedException as the SDK deserializes AWS's: its message is IAM's, word for word. */
export function accessDenied(clientName: string, principal: Pick<Principal, 'roleArn'>, request: AuthorizationRequest, decision: Decision): Error {
  const { type, status } = exceptions[clientName] ?? exceptions.DynamoDBClient!;
  const why = decision === 'explicitDeny' ? 'with an explicit deny in an identity-based policy' : `because no identity-based policy allows the ${request.action} action`;
  return new type({
    name: 'AccessDeniedException',
    $fault: 'client',
    $metadata: { httpStatusCode: status, requestId: randomUUID(), attempts: 1, totalRetryDelay: 0 },
    message: `User: ${principal.roleArn} is not authorized to perform: ${request.action} on resource: ${request.resource} ${why}`,
  });
}

export interface LocalGrantsOptions {
  module: ModuleDecl;
  tableName: string;
  streamPrefix: string;
  /** The local WebSocket gateway's API id and stage (what `@connections` ARNs name). */
  webSocketApiId: string;
  webSocketStage: string;
  region?: string;
  /** The services the deployment runs (default: every declared one): only they are granted notices. */
  services?: readonly string[];
  /** Told of every refusal, with what AWS's message leaves out (the leading keys asked for). */
  onDenied?: (denial: Denial) => void;
  /**
   * Told of every request a function's grants allowed (tests: which declared access is used); the
   * request waits for a promise it returns (tests: a request held while something races it).
   */
  onAllowed?: (functionName: string, request: AuthorizationRequest) => void | Promise<void>;
}

export interface Denial {
  functionName: string;
  request: AuthorizationRequest;
  decision: Decision;
}

/** A refusal as one log line: the function, the action, the resource and any leading keys. */
export function describeDenial({ functionName, request }: Denial): string {
  const keys = request.context?.['dynamodb:LeadingKeys'];
  return `access denied: ${functionName} may not ${request.action} on ${request.resource}${keys?.length ? ` (leading keys ${keys.join(', ')})` : ''}`;
}

/** The name a service's requests are told by (onAllowed, onDenied, the log). */
export function servicePrincipalName(service: string): string {
  return `service:${service}`;
}

export interface LocalGrants {
  /** Run `fn` (an invocation) as the function's role. */
  runAs<T>(functionName: string, fn: () => T): T;
  /**
   * Run `fn` as a service's task role: a service started inside keeps the role for all it does
   * (requests, notices, timers: AsyncLocalStorage follows the callbacks it sets up).
   */
  runAsService<T>(service: string, fn: () => T): T;
  /** The S3 authorization a request of the local blob directory stands for (lib/core/blobs.ts). */
  authorizeBlob(command: BlobCommand, key: string): Promise<void>;
  /** The middleware to add to the shared clients (lib/core/aws-clients.ts addClientPlugin). */
  plugin: ClientPlugin;
  /**
   * Throws the AccessDeniedException AWS's event source mapping meets when the topology's function
   * may not read what it reads: GetRecords on the stream (a standard consumer) or SubscribeToShard
   * on its consumer (enhanced fan-out). The mapping reads with the function's role.
   */
  authorizeMapping(topology: TopologyDecl): void;
}

/** `make` called once per name. */
function memoised<T>(make: (name: string) => T): (name: string) => T {
  const made = new Map<string, T>();
  return (name) => {
    if (!made.has(name)) made.set(name, make(name));
    return made.get(name)!;
  };
}

export function localGrants(options: LocalGrantsOptions): LocalGrants {
  const { module } = options;
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const blobBucketName = `${options.tableName}-blobs`;
  const arns = localArns({ region, account: LOCAL_ACCOUNT, apiId: options.webSocketApiId, stage: options.webSocketStage });
  const depotOf = (topology: string) => {
    const declared = module.topologies.find((t) => t.name === topology);
    if (!declared) throw new Error(`module "${module.name}" has no topology "${topology}"`);
    return declared.depot;
  };
  const resources = {
    table: arns.table(options.tableName),
    stream: (depot: string) => arns.stream(streamName(options.streamPrefix, depot)),
    webSocket: module.websocket.routes.length ? { apiArn: arns.webSocketApi, stage: arns.webSocketStage } : undefined,
    blobBucket: arns.bucket(blobBucketName),
  };
  // A function's role, and a service's task role (lib/stacks/services.ts), named apart from
  // functions (`sync` is both); each policy compiled once.
  const principal = memoised((functionName: string): Principal => ({
    functionName,
    roleArn: `arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/${module.name}-${functionName}-role/${functionName}`,
    decide: compilePolicy(
      functionStatements(
        module,
        functionName,
        {
          ...resources,
          consumer: (topology) => arns.consumer(streamName(options.streamPrefix, depotOf(topology)), topology),
          logGroup: arns.logGroup(functionName),
        },
        options.services,
      ),
    ),
  }));
  const servicePrincipal = memoised((service: string): Principal => ({
    functionName: servicePrincipalName(service),
    roleArn: `arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/${module.name}-${service}-task-role/${service}`,
    decide: compilePolicy(serviceStatements(module, service, resources)),
  }));
  const current = new AsyncLocalStorage<Principal>();

  /** Checks one command against the caller's grants; outside an invocation the platform acts, unchecked. */
  const authorize = async (clientName: string, commandName: string, input: Record<string, unknown>): Promise<void> => {
    const caller = current.getStore();
    if (!caller) return;
    for (const request of authorizationRequests(clientName, commandName, input, arns)) {
      const decision = caller.decide(request);
      if (decision !== 'allowed') {
        options.onDenied?.({ functionName: caller.functionName, request, decision });
        throw accessDenied(clientName, caller, request, decision);
      }
      await options.onAllowed?.(caller.functionName, request);
    }
  };

  const plugin: ClientPlugin = {
    applyToStack(stack) {
      stack.add(
        (next, context) => async (args) => {
          await authorize(context.clientName ?? '', context.commandName ?? '', args.input as Record<string, unknown>);
          return next(args);
        },
        // Before anything else sees the command (the document client marshals later, at this same step).
        { step: 'initialize', priority: 'high', name: 'axonLocalGrants' },
      );
    },
  };

  return {
    runAs: (functionName, fn) => current.run(principal(functionName), fn),
    runAsService: (service, fn) => current.run(servicePrincipal(service), fn),
    authorizeBlob: (command, key) => authorize('S3Client', `${command}Command`, { Bucket: blobBucketName, Key: key }),
    plugin,
    authorizeMapping(topology) {
      const caller = principal(topology.function);
      const stream = streamName(options.streamPrefix, topology.depot);
      const request: AuthorizationRequest =
        topology.consumer === 'enhanced'
          ? { action: 'kinesis:SubscribeToShard', resource: arns.consumer(stream, topology.name) }
          : { action: 'kinesis:GetRecords', resource: arns.stream(stream) };
      const decision = caller.decide(request);
      if (decision === 'allowed') return;
      options.onDenied?.({ functionName: caller.functionName, request, decision });
      throw accessDenied('KinesisClient', caller, request, decision);
    },
  };
}
