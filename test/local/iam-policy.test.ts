// The local IAM evaluator on the subset of IAM the stack uses, and what each SDK command asks IAM
// for: the same decisions AWS's policy evaluation makes for these statements.
import { describe, expect, it } from 'vitest';
import { compilePolicy, type PolicyStatement } from '../../lib/local/iam/policy.ts';
import { authorizationRequests, localArns } from '../../lib/local/iam/requests.ts';

const arns = localArns({ region: 'eu-west-1', account: '000000000000', apiId: 'api', stage: 'live' });
const table = arns.table('axon');
const leading = (keys: string[]) => ({ 'dynamodb:LeadingKeys': keys });

describe('policy evaluation', () => {
  const reads: PolicyStatement = {
    actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem'],
    resources: [table],
    conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['users#*', 'rooms#*'] } },
  };
  const decide = compilePolicy([reads, { actions: ['kinesis:Put*'], resources: [`${arns.stream('axon-rooms')}`] }]);

  it('allows an action on a resource when every leading key matches a pattern', () => {
    expect(decide({ action: 'dynamodb:GetItem', resource: table, context: leading(['users#@a:x']) })).toBe('allowed');
    expect(decide({ action: 'dynamodb:BatchGetItem', resource: table, context: leading(['users#@a:x', 'rooms#!r:x']) })).toBe('allowed');
  });

  it('refuses when one leading key of many does not match (ForAllValues), or another action, table or stream is asked for', () => {
    expect(decide({ action: 'dynamodb:BatchGetItem', resource: table, context: leading(['users#@a:x', 'devices#@a:x']) })).toBe('implicitDeny');
    expect(decide({ action: 'dynamodb:PutItem', resource: table, context: leading(['users#@a:x']) })).toBe('implicitDeny');
    expect(decide({ action: 'dynamodb:GetItem', resource: arns.table('other'), context: leading(['users#@a:x']) })).toBe('implicitDeny');
    expect(decide({ action: 'kinesis:PutRecord', resource: arns.stream('axon-users') })).toBe('implicitDeny');
  });

  it('matches actions case-insensitively with wildcards, resources case-sensitively', () => {
    expect(decide({ action: 'Kinesis:PUTRECORDS', resource: arns.stream('axon-rooms') })).toBe('allowed');
    expect(decide({ action: 'kinesis:PutRecord', resource: arns.stream('axon-ROOMS') })).toBe('implicitDeny');
    const any = compilePolicy([{ actions: ['execute-api:ManageConnections'], resources: [`${arns.webSocketApi}/live/*/@connections/*`] }]);
    expect(any({ action: 'execute-api:ManageConnections', resource: `${arns.webSocketApi}/live/POST/@connections/abc=` })).toBe('allowed');
    expect(any({ action: 'execute-api:ManageConnections', resource: `${arns.webSocketApi}/test/POST/@connections/abc=` })).toBe('implicitDeny');
  });

  it('treats a request without the key as matching ForAllValues (IAM does), and lets an explicit Deny win', () => {
    expect(decide({ action: 'dynamodb:Query', resource: table })).toBe('allowed');
    const denied = compilePolicy([reads, { effect: 'Deny', actions: ['dynamodb:*'], resources: ['*'] }]);
    expect(denied({ action: 'dynamodb:GetItem', resource: table, context: leading(['users#x']) })).toBe('explicitDeny');
  });

  it('refuses to guess at condition operators it does not implement', () => {
    expect(() => compilePolicy([{ actions: ['s3:GetObject'], resources: ['*'], conditions: { IpAddress: { 'aws:SourceIp': ['10.0.0.0/8'] } } }])).toThrow(/IpAddress/);
  });
});

describe('what each SDK command asks IAM for', () => {
  const dynamo = (command: string, input: Record<string, unknown>) => authorizationRequests('DynamoDBClient', command, input, arns);

  it('names the partition key of single-item operations, Query key conditions and batches as dynamodb:LeadingKeys', () => {
    expect(dynamo('GetItemCommand', { TableName: 'axon', Key: { pk: 'users#@a:x', sk: '' } })).toEqual([
      { action: 'dynamodb:GetItem', resource: table, context: leading(['users#@a:x']) },
    ]);
    expect(dynamo('PutItemCommand', { TableName: 'axon', Item: { pk: { S: 'rooms#!r' }, sk: { S: 'x' } } })[0]?.context).toEqual(leading(['rooms#!r']));
    const query = dynamo('QueryCommand', { TableName: 'axon', KeyConditionExpression: 'pk = :pk AND sk BETWEEN :low AND :high', ExpressionAttributeValues: { ':pk': 'roomTimeline#!r', ':low': 'a', ':high': 'b' } });
    expect(query).toEqual([{ action: 'dynamodb:Query', resource: table, context: leading(['roomTimeline#!r']) }]);
    const named = dynamo('QueryCommand', { TableName: 'axon', KeyConditionExpression: '#k = :v', ExpressionAttributeNames: { '#k': 'pk' }, ExpressionAttributeValues: { ':v': { S: 'users#@b' } } });
    expect(named[0]?.context).toEqual(leading(['users#@b']));
    const batch = dynamo('BatchGetItemCommand', { RequestItems: { axon: { Keys: [{ pk: 'users#a', sk: '' }, { pk: 'devices#a', sk: 'd' }] } } });
    expect(batch).toEqual([{ action: 'dynamodb:BatchGetItem', resource: table, context: leading(['users#a', 'devices#a']) }]);
  });

  it('checks each item of a transaction as its own action', () => {
    const items = dynamo('TransactWriteItemsCommand', {
      TransactItems: [
        { Put: { TableName: 'axon', Item: { pk: 'a#1', sk: '' } } },
        { Update: { TableName: 'axon', Key: { pk: 'b#1', sk: '' } } },
        { ConditionCheck: { TableName: 'axon', Key: { pk: 'c#1', sk: '' } } },
        { Delete: { TableName: 'axon', Key: { pk: 'd#1', sk: '' } } },
      ],
    });
    expect(items.map((r) => [r.action, r.context?.['dynamodb:LeadingKeys']])).toEqual([
      ['dynamodb:PutItem', ['a#1']],
      ['dynamodb:UpdateItem', ['b#1']],
      ['dynamodb:ConditionCheckItem', ['c#1']],
      ['dynamodb:DeleteItem', ['d#1']],
    ]);
  });

  it('names streams, @connections and objects by their ARNs; an unknown client by its service', () => {
    expect(authorizationRequests('KinesisClient', 'PutRecordsCommand', { StreamName: 'axon-rooms' }, arns)).toEqual([{ action: 'kinesis:PutRecords', resource: arns.stream('axon-rooms') }]);
    expect(authorizationRequests('ApiGatewayManagementApiClient', 'DeleteConnectionCommand', { ConnectionId: 'c=' }, arns)).toEqual([
      { action: 'execute-api:ManageConnections', resource: `${arns.webSocketApi}/live/DELETE/@connections/c=` },
    ]);
    expect(authorizationRequests('S3Client', 'GetObjectCommand', { Bucket: 'b', Key: 'k/1' }, arns)).toEqual([{ action: 's3:GetObject', resource: 'arn:aws:s3:::b/k/1' }]);
    expect(authorizationRequests('SQSClient', 'SendMessageCommand', {}, arns)).toEqual([{ action: 'sqs:SendMessage', resource: '*' }]);
  });
});
