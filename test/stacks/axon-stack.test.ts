// Every declared depot, function, topology and route appears in the synthesized template, with the
// settings the declaration gives, for Axon's module and for a richer fixture module.
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { functionDefaults, routeKey, streamName, type FunctionDecl, type ModuleDecl } from '../../lib/core/module.ts';
import { axon, axonModule } from '../../lib/matrix/module.ts';
import { batchingWindowSeconds } from '../../lib/stacks/topologies.ts';
import { chat } from '../fixtures/stacks/module.ts';
import { resourcesOfType, synthesize } from './synth.ts';

const modules: [string, ModuleDecl][] = [
  ['axon', axon],
  ['axon without enhanced fan-out', axonModule({ enhancedFanOut: false })],
  ['chat fixture', chat],
];

describe.each(modules)('stack of the %s module', (_label, module) => {
  const synth = synthesize(module);
  const { stack, template, httpTemplate, logicalId } = synth;
  const functionId = (name: string) => logicalId(stack.functions.fn(name));

  it('has one encrypted stream per depot, named for the handlers, with its shard count and retention', () => {
    template.resourceCountIs('AWS::Kinesis::Stream', module.depots.length);
    for (const depot of module.depots) {
      template.hasResourceProperties('AWS::Kinesis::Stream', {
        Name: streamName(stack.stackName, depot.name),
        ShardCount: depot.shards,
        RetentionPeriodHours: depot.retentionHours ?? 24,
        StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
      });
    }
  });

  it('has one arm64 nodejs22.x function per declared function, with its handler, memory, timeout and environment', () => {
    template.resourceCountIs('AWS::Lambda::Function', Object.keys(module.functions).length);
    const functions = resourcesOfType(template, 'AWS::Lambda::Function');
    for (const [name, decl] of Object.entries(module.functions) as [string, FunctionDecl][]) {
      const props = functions[functionId(name)]?.Properties;
      expect(props, name).toBeDefined();
      expect(props).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: `index.${decl.exportName ?? 'handler'}`,
        MemorySize: decl.memoryMb ?? functionDefaults.memoryMb,
        Timeout: decl.timeoutSeconds ?? functionDefaults.timeoutSeconds,
        LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
      });
      const env = (props?.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(env).toMatchObject({
        AXON_TABLE: { Ref: logicalId(stack.table.table) },
        AXON_STREAM_PREFIX: stack.stackName,
        AXON_SERVER_NAME: 'example.org',
        NODE_OPTIONS: '--enable-source-maps',
      });
      expect('AXON_WS_MANAGEMENT_ENDPOINT' in env, `${name} pushes`).toBe(decl.access?.pushes === true);
      // The WebSocket URL /.well-known/matrix/client advertises (org.axon.websocket): the stage's.
      if (stack.webSocketApi) expect(env.AXON_WS_URL, name).toEqual(stack.resolve(stack.webSocketApi.url));
      else expect(env.AXON_WS_URL, name).toBeUndefined();
    }
  });

  it('gives every topology an event source mapping with bisect, partial batch responses, bounded retries and a DLQ', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', module.topologies.length);
    template.resourceCountIs('AWS::SQS::Queue', module.topologies.length);
    for (const topology of module.topologies) {
      const queue = stack.topologies.deadLetterQueues.get(topology.name);
      expect(queue, topology.name).toBeDefined();
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: functionId(topology.function) },
        // An enhanced fan-out topology reads through its own consumer of the depot's stream.
        EventSourceArn:
          topology.consumer === 'enhanced'
            ? { 'Fn::GetAtt': [logicalId(stack.depots.consumer(topology.name)), 'ConsumerARN'] }
            : { 'Fn::GetAtt': [logicalId(stack.depots.stream(topology.depot)), 'Arn'] },
        BatchSize: topology.batchSize,
        MaximumBatchingWindowInSeconds: batchingWindowSeconds(topology),
        BisectBatchOnFunctionError: true,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        MaximumRetryAttempts: topology.maxRetries,
        ParallelizationFactor: topology.parallelization ?? 1,
        StartingPosition: topology.startingPosition ?? 'TRIM_HORIZON',
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(queue!), 'Arn'] } } },
      });
    }
    const enhanced = module.topologies.filter((t) => t.consumer === 'enhanced');
    template.resourceCountIs('AWS::Kinesis::StreamConsumer', enhanced.length);
    for (const topology of enhanced) {
      template.hasResourceProperties('AWS::Kinesis::StreamConsumer', {
        ConsumerName: topology.name,
        StreamARN: { 'Fn::GetAtt': [logicalId(stack.depots.stream(topology.depot)), 'Arn'] },
      });
    }
    for (const queue of stack.topologies.deadLetterQueues.values()) {
      expect(resourcesOfType(template, 'AWS::SQS::Queue')[logicalId(queue)]?.Properties).toMatchObject({ SqsManagedSseEnabled: true });
    }
  });

  it('fits CloudFormation: at most 500 resources in the stack and in the nested HTTP API stack', () => {
    for (const t of [template, httpTemplate]) expect(Object.keys(t.toJSON().Resources as object).length).toBeLessThanOrEqual(500);
  });

  it('routes every declared HTTP route, and the fallback on $default, to its function with payload 2.0', () => {
    // The HTTP API lives in a nested stack: integrations name their function through a parameter
    // the parent stack passes.
    const routes = resourcesOfType(httpTemplate, 'AWS::ApiGatewayV2::Route');
    const integrations = resourcesOfType(httpTemplate, 'AWS::ApiGatewayV2::Integration');
    const nested = Object.values(resourcesOfType(template, 'AWS::CloudFormation::Stack'));
    expect(nested).toHaveLength(1);
    const parameters = nested[0]!.Properties?.Parameters as Record<string, { 'Fn::GetAtt': string[] }>;
    const httpApiId = logicalId(stack.httpApi.api);
    const functionOfRoute = new Map<string, string>();
    for (const route of Object.values(routes)) {
      if ((route.Properties?.ApiId as { Ref: string }).Ref !== httpApiId) continue;
      const target = JSON.stringify(route.Properties?.Target);
      const integrationId = Object.keys(integrations).find((id) => target.includes(`"${id}"`));
      const integration = integrations[integrationId ?? '']?.Properties;
      expect(integration).toMatchObject({ PayloadFormatVersion: '2.0', IntegrationType: 'AWS_PROXY' });
      const parameter = (integration?.IntegrationUri as { Ref: string }).Ref;
      functionOfRoute.set(route.Properties?.RouteKey as string, parameters[parameter]!['Fn::GetAtt'][0]!);
    }
    const expected = new Map(module.http.routes.map((r) => [routeKey(r), functionId(r.function)]));
    expected.set('$default', functionId(module.http.fallback));
    expect(functionOfRoute).toEqual(expected);
  });

  it('answers CORS preflights as declared and logs HTTP access', () => {
    const cors = module.http.cors;
    httpTemplate.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: cors
        ? { AllowOrigins: [...cors.allowOrigins], AllowMethods: [...cors.allowMethods], AllowHeaders: [...cors.allowHeaders] }
        : Match.absent(),
    });
    httpTemplate.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      ApiId: { Ref: logicalId(stack.httpApi.api) },
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.anyValue() },
    });
  });

  it('has the WebSocket routes, selected by the declared body field, on an access-logged live stage', () => {
    const ws = stack.webSocketApi;
    if (!module.websocket.routes.length) {
      expect(ws).toBeUndefined();
      template.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
      return;
    }
    expect(ws).toBeDefined();
    const apiId = logicalId(ws!.api);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: `$request.body.${module.websocket.routeSelectionField}`,
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      ApiId: { Ref: apiId },
      StageName: 'live',
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.anyValue() },
    });
    const routes = Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::Route')).filter(
      (r) => (r.Properties?.ApiId as { Ref: string }).Ref === apiId,
    );
    expect(routes.map((r) => r.Properties?.RouteKey).sort()).toEqual(module.websocket.routes.map((r) => r.route).sort());
    const integrations = resourcesOfType(template, 'AWS::ApiGatewayV2::Integration');
    for (const declared of module.websocket.routes) {
      const route = routes.find((r) => r.Properties?.RouteKey === declared.route);
      const target = JSON.stringify(route?.Properties?.Target);
      const integrationId = Object.keys(integrations).find((id) => target.includes(`"${id}"`));
      expect(JSON.stringify(integrations[integrationId ?? '']?.Properties?.IntegrationUri)).toContain(`"${functionId(declared.function)}"`);
    }
  });

  it('has one on-demand table with pk/sk, point-in-time recovery and TTL', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  it('reaches every declared PState through some function\'s leading-key grant on the table', () => {
    const granted = new Set(
      Object.values(resourcesOfType(template, 'AWS::IAM::Policy'))
        .flatMap((p) => (p.Properties?.PolicyDocument as { Statement: { Condition?: Record<string, Record<string, unknown>> }[] }).Statement)
        .flatMap((s) => {
          const keys = s.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] ?? [];
          return Array.isArray(keys) ? keys : [keys];
        }),
    );
    const unreached = module.pstates.map((p) => p.name).filter((name) => !granted.has(`${name}#*`));
    expect(unreached, 'PStates no function reads or writes').toEqual([]);
  });

  it('alarms on iterator age and DLQ depth per topology and on errors per function, to one encrypted topic', () => {
    const topicId = logicalId(stack.alarms.topic);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2 * module.topologies.length + Object.keys(module.functions).length);
    const alarms = Object.values(resourcesOfType(template, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties ?? {});
    for (const alarm of alarms) expect(alarm.AlarmActions).toEqual([{ Ref: topicId }]);
    const hasAlarm = (metric: string, dimension: unknown, threshold: number) =>
      alarms.some(
        (a) =>
          a.MetricName === metric &&
          JSON.stringify(a.Dimensions).includes(JSON.stringify(dimension)) &&
          a.Threshold === threshold &&
          a.ComparisonOperator === 'GreaterThanThreshold',
      );
    for (const topology of module.topologies) {
      expect(hasAlarm('IteratorAge', { Ref: functionId(topology.function) }, 60_000), `${topology.name} iterator age`).toBe(true);
      const queue = stack.topologies.deadLetterQueues.get(topology.name)!;
      expect(hasAlarm('ApproximateNumberOfMessagesVisible', { 'Fn::GetAtt': [logicalId(queue), 'QueueName'] }, 0)).toBe(true);
    }
    for (const name of Object.keys(module.functions)) {
      expect(hasAlarm('Errors', { Ref: functionId(name) }, 0), `${name} errors`).toBe(true);
    }
  });

  it('outputs the API URLs and the table name', () => {
    template.hasOutput('HttpApiUrl', {});
    template.hasOutput('TableName', { Value: { Ref: logicalId(stack.table.table) } });
    if (module.websocket.routes.length) template.hasOutput('WebSocketUrl', {});
  });
});

describe('deletion protection', () => {
  it('protects and retains the table and streams when asked', () => {
    const { template } = synthesize(chat, { deletionProtection: true });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', Properties: Match.objectLike({ DeletionProtectionEnabled: true }) });
    template.allResources('AWS::Kinesis::Stream', { DeletionPolicy: 'Retain' });
  });

  it('lets a throw-away stack delete them', () => {
    const { template } = synthesize(chat, { deletionProtection: false });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete', Properties: Match.objectLike({ DeletionProtectionEnabled: false }) });
    template.allResources('AWS::Kinesis::Stream', { DeletionPolicy: 'Delete' });
  });
});
