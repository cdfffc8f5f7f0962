// What IAM authorizes for one AWS SDK command: the action(s), the resource ARN(s) and the context
// keys the stack's policies test (`dynamodb:LeadingKeys`). A command of an unknown client or
// operation still maps to `<service>:<operation>`, which no statement of ours allows: fail closed.
import type { AuthorizationRequest } from './policy.ts';

/** How local resources are named as ARNs, the same way on the policy side and the request side. */
export interface LocalArns {
  table(name: string): string;
  stream(name: string): string;
  /** An enhanced fan-out consumer of a stream (on AWS the suffix is its creation time; locally fixed). */
  consumer(streamName: string, consumerName: string): string;
  /** `arn:aws:execute-api:<region>:<account>:<api id>` of the local WebSocket gateway. */
  webSocketApi: string;
  webSocketStage: string;
  bucket(name: string): string;
}

export function localArns(options: { region: string; account: string; apiId: string; stage: string }): LocalArns & { logGroup(fn: string): string } {
  const { region, account } = options;
  return {
    table: (name) => `arn:aws:dynamodb:${region}:${account}:table/${name}`,
    stream: (name) => `arn:aws:kinesis:${region}:${account}:stream/${name}`,
    consumer: (stream, consumer) => `arn:aws:kinesis:${region}:${account}:stream/${stream}/consumer/${consumer}:0`,
    webSocketApi: `arn:aws:execute-api:${region}:${account}:${options.apiId}`,
    webSocketStage: options.stage,
    bucket: (name) => `arn:aws:s3:::${name}`,
    logGroup: (fn) => `arn:aws:logs:${region}:${account}:log-group:/aws/lambda/${fn}:*`,
  };
}

type Input = Record<string, unknown>;
type Item = Record<string, unknown> | undefined;

/** The table's partition key attribute (lib/core/table.ts: `pk`). */
const PARTITION_KEY = 'pk';

/** A key attribute as the document client passes it (a string) or the low-level client (`{ S }`). */
function keyValue(item: Item): string[] {
  const v = item?.[PARTITION_KEY];
  if (typeof v === 'string') return [v];
  if (v && typeof v === 'object' && typeof (v as { S?: unknown }).S === 'string') return [(v as { S: string }).S];
  return [];
}

/**
 * The partition key value a Query's KeyConditionExpression fixes (`pk = :pk`, or `#n = :v` with
 * `#n` naming pk): what `dynamodb:LeadingKeys` holds for a Query.
 */
function queryLeadingKeys(input: Input): string[] {
  const expression = String(input.KeyConditionExpression ?? '');
  const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const values = (input.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
  for (const m of expression.matchAll(/(#?[\w]+)\s*=\s*(:[\w]+)/g)) {
    const attribute = m[1]!.startsWith('#') ? names[m[1]!] : m[1];
    if (attribute === PARTITION_KEY) return keyValue({ [PARTITION_KEY]: values[m[2]!] });
  }
  return [];
}

function dynamoRequests(operation: string, input: Input, arns: LocalArns): AuthorizationRequest[] {
  const table = (name: unknown) => arns.table(String(name));
  const request = (action: string, tableName: unknown, leadingKeys: string[], index?: unknown): AuthorizationRequest => ({
    action: `dynamodb:${action}`,
    resource: index ? `${table(tableName)}/index/${String(index)}` : table(tableName),
    context: { 'dynamodb:LeadingKeys': leadingKeys },
  });
  switch (operation) {
    case 'GetItem':
    case 'UpdateItem':
    case 'DeleteItem':
      return [request(operation, input.TableName, keyValue(input.Key as Item))];
    case 'PutItem':
      return [request(operation, input.TableName, keyValue(input.Item as Item))];
    case 'Query':
      return [request(operation, input.TableName, queryLeadingKeys(input), input.IndexName)];
    case 'BatchGetItem':
      return Object.entries((input.RequestItems ?? {}) as Record<string, { Keys?: Item[] }>).map(([name, { Keys }]) =>
        request(operation, name, (Keys ?? []).flatMap(keyValue)),
      );
    case 'BatchWriteItem':
      return Object.entries((input.RequestItems ?? {}) as Record<string, { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }[]>).map(
        ([name, writes]) => request(operation, name, writes.flatMap((w) => keyValue(w.PutRequest?.Item ?? w.DeleteRequest?.Key))),
      );
    // A transaction has no action of its own: each item needs the permission of its own action.
    // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html
    case 'TransactWriteItems':
      return ((input.TransactItems ?? []) as Record<string, { TableName: unknown; Key?: Item; Item?: Item }>[]).flatMap((entry) =>
        Object.entries(entry).map(([kind, op]) => {
          const action = ({ Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem' } as Record<string, string>)[kind] ?? kind;
          return request(action, op.TableName, keyValue(op.Item ?? op.Key));
        }),
      );
    case 'TransactGetItems':
      return ((input.TransactItems ?? []) as { Get: { TableName: unknown; Key: Item } }[]).map(({ Get }) => request('GetItem', Get.TableName, keyValue(Get.Key)));
    default:
      return [{ action: `dynamodb:${operation}`, resource: input.TableName ? table(input.TableName) : '*' }];
  }
}

function kinesisRequests(operation: string, input: Input, arns: LocalArns): AuthorizationRequest[] {
  const stream = typeof input.StreamARN === 'string' ? input.StreamARN : input.StreamName ? arns.stream(String(input.StreamName)) : '*';
  return [{ action: `kinesis:${operation}`, resource: stream }];
}

/** `@connections` calls authorize `execute-api:ManageConnections` on `<api>/<stage>/<METHOD>/@connections/<id>`. */
function managementRequests(operation: string, input: Input, arns: LocalArns): AuthorizationRequest[] {
  const method = ({ PostToConnection: 'POST', DeleteConnection: 'DELETE', GetConnection: 'GET' } as Record<string, string>)[operation];
  if (!method) return [{ action: `execute-api:${operation}`, resource: arns.webSocketApi }];
  return [
    {
      action: 'execute-api:ManageConnections',
      resource: `${arns.webSocketApi}/${arns.webSocketStage}/${method}/@connections/${String(input.ConnectionId)}`,
    },
  ];
}

function s3Requests(operation: string, input: Input, arns: LocalArns): AuthorizationRequest[] {
  const bucket = arns.bucket(String(input.Bucket));
  const object = `${bucket}/${String(input.Key)}`;
  switch (operation) {
    case 'GetObject':
    case 'HeadObject':
      return [{ action: 's3:GetObject', resource: object }];
    case 'PutObject':
    case 'CreateMultipartUpload':
    case 'UploadPart':
    case 'CompleteMultipartUpload':
      return [{ action: 's3:PutObject', resource: object }];
    case 'ListObjectsV2':
    case 'ListObjects':
      return [{ action: 's3:ListBucket', resource: bucket }];
    case 'DeleteObjects': {
      // A batch delete is authorized per object, as s3:DeleteObject.
      const objects = ((input.Delete as { Objects?: { Key?: string }[] } | undefined)?.Objects ?? []).map((o) => `${bucket}/${String(o.Key)}`);
      return objects.map((resource) => ({ action: 's3:DeleteObject', resource }));
    }
    default:
      return [{ action: `s3:${operation}`, resource: input.Key === undefined ? bucket : object }];
  }
}

const services: Record<string, (operation: string, input: Input, arns: LocalArns) => AuthorizationRequest[]> = {
  DynamoDBClient: dynamoRequests,
  KinesisClient: kinesisRequests,
  ApiGatewayManagementApiClient: managementRequests,
  S3Client: s3Requests,
};

/** The authorizations one command needs; `clientName` and `commandName` as the SDK's middleware context names them. */
export function authorizationRequests(clientName: string, commandName: string, input: Input, arns: LocalArns): AuthorizationRequest[] {
  const operation = commandName.replace(/Command$/, '');
  const service = services[clientName];
  if (!service) return [{ action: `${clientName.replace(/Client$/, '').toLowerCase()}:${operation}`, resource: '*' }];
  return service(operation, input, arns);
}
