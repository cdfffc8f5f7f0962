// AWS quotas the synthesized stack must stay within, each cited from AWS's documentation: a
// template over one of them fails `cdk deploy` (or fails at run time) in every account, so it is
// checked here on every change. Sizes are checked after resolving the template's intrinsic
// functions to the longest values AWS could give them (test/stacks/resolve.ts). Deployment bundle
// sizes need the bundles: test/stacks/cli.test.ts checks them on the CLI's own synth.
import { describe, expect, it } from 'vitest';
import { API_GATEWAY_INTEGRATION_TIMEOUT_MS } from '../../lib/local/http-gateway.ts';
import { MAX_MESSAGE_BYTES } from '../../lib/local/websocket-gateway.ts';
import { MAX_POST_BYTES } from '../../lib/local/gateway/connections-api.ts';
import { axon } from '../../lib/matrix/module.ts';
import { encodeFrame, MAX_FRAME_BYTES, syncFrame } from '../../lib/matrix/push/frames.ts';
import type { AxonStackProps } from '../../lib/stacks/axon-stack.ts';
import { TemplateResolver } from './resolve.ts';
import { synthesize } from './synth.ts';

const docs = {
  cloudFormation: 'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html',
  iam: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html',
  lambda: 'https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html',
  createFunction: 'https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html',
  eventSourceMapping: 'https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html',
  httpApi: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html',
  webSocketApi: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html',
};

/** The quotas, as the pages above state them. */
const quota = {
  /** CloudFormation: resources declared in a template (per stack; a nested stack is its own). */
  resourcesPerStack: 500,
  /** CloudFormation: template body size in an S3 object (how the CDK CLI uploads it). */
  templateBytes: 1_000_000,
  /** IAM: aggregate size of a role's inline policies, in characters, whitespace not counted. */
  roleInlinePolicyChars: 10_240,
  /** IAM: size of one managed policy, in characters, whitespace not counted. */
  managedPolicyChars: 6_144,
  /** Lambda: all environment variables of a function together. */
  environmentBytes: 4 * 1024,
  /** Lambda: function timeout. */
  functionTimeoutSeconds: 900,
  /** Lambda: memory, 128 MB to 10,240 MB. */
  memoryMb: { min: 128, max: 10_240 },
  /** Lambda CreateFunction: description length. */
  descriptionChars: 256,
  /** HTTP API: routes and integrations per API, and the maximum integration timeout. */
  httpRoutesPerApi: 300,
  httpIntegrationsPerApi: 300,
  httpIntegrationTimeoutMs: 30_000,
  /** WebSocket API: routes per API, integration timeout, message payload and frame size. */
  webSocketRoutesPerApi: 300,
  webSocketIntegrationTimeoutMs: 29_000,
  webSocketMessageBytes: 128 * 1024,
  /** CreateEventSourceMapping bounds for a Kinesis source. */
  mapping: {
    batchSize: { min: 1, max: 10_000 },
    batchingWindowSeconds: { min: 0, max: 300 },
    parallelizationFactor: { min: 1, max: 10 },
    retryAttempts: { min: -1, max: 10_000 },
    recordAgeSeconds: { min: 60, max: 604_800 },
    tumblingWindowSeconds: { min: 0, max: 900 },
  },
};

type Resource = { Type: string; Properties?: Record<string, unknown> };
type TemplateJson = { Resources: Record<string, Resource>; Parameters?: Record<string, unknown> };

const ofType = (t: TemplateJson, type: string) => Object.entries(t.Resources).filter(([, r]) => r.Type === type);
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
/** IAM's size of a policy document: its characters, whitespace not counted. */
const iamChars = (document: unknown) => JSON.stringify(document).replace(/\s/g, '').length;

// A long stack name makes every generated physical name, and so every ARN in a policy, long.
const stackName = `axon-${'quota'.repeat(10)}`;

// The settings that change what is synthesized: a throw-away stack, and production (retained data,
// an alarm subscription: the most resources) in the longest partition's region.
const variants: [string, Partial<AxonStackProps>][] = [
  ['throw-away, no environment', { deletionProtection: false }],
  ['production, us-gov-west-1', { deletionProtection: true, alarmEmail: 'operators@example.org', env: { account: '123456789012', region: 'us-gov-west-1' } }],
];

describe.each(variants)('AWS quotas on the synthesized stack (%s)', (_label, props) => {
  const synth = synthesize(axon, { stackName, ...props });
  const parent = synth.template.toJSON() as TemplateJson;
  const nested = synth.httpTemplate.toJSON() as TemplateJson;
  const templates: [string, TemplateJson][] = [
    ['parent stack', parent],
    ['HTTP API nested stack', nested],
  ];
  const resolveParent = new TemplateResolver(parent, stackName);
  const functionId = (name: string) => synth.logicalId(synth.stack.functions.fn(name));

  it.each(templates)(`declares at most ${quota.resourcesPerStack} resources and 1 MB of template in the %s (${docs.cloudFormation})`, (_name, t) => {
    expect(Object.keys(t.Resources).length).toBeLessThanOrEqual(quota.resourcesPerStack);
    expect(Buffer.byteLength(JSON.stringify(t))).toBeLessThanOrEqual(quota.templateBytes);
  });

  it(`keeps every role's inline policies within ${quota.roleInlinePolicyChars} characters once ARNs are resolved, and uses no managed policy over ${quota.managedPolicyChars} (${docs.iam})`, () => {
    for (const [name, t] of templates) {
      const resolver = new TemplateResolver(t, stackName);
      for (const [roleId, role] of ofType(t, 'AWS::IAM::Role')) {
        const embedded = list(role.Properties?.Policies as { PolicyDocument: unknown }[] | undefined).map((p) => p.PolicyDocument);
        const attached = ofType(t, 'AWS::IAM::Policy')
          .filter(([, p]) => list(p.Properties?.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })))
          .map(([, p]) => p.Properties!.PolicyDocument);
        const chars = [...embedded, ...attached].reduce<number>((sum, doc) => sum + iamChars(resolver.resolve(doc)), 0);
        expect(chars, `${name} ${roleId}`).toBeLessThanOrEqual(quota.roleInlinePolicyChars);
      }
      for (const [id, policy] of ofType(t, 'AWS::IAM::ManagedPolicy')) {
        expect(iamChars(resolver.resolve(policy.Properties!.PolicyDocument)), `${name} ${id}`).toBeLessThanOrEqual(quota.managedPolicyChars);
      }
    }
  });

  it(`gives every function at most 4 KB of environment once resolved, a valid memory size and timeout, and a description CreateFunction accepts (${docs.lambda}, ${docs.createFunction})`, () => {
    const functions = ofType(parent, 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(Object.keys(axon.functions).length);
    for (const [id, fn] of functions) {
      const p = fn.Properties!;
      const variables = resolveParent.resolve((p.Environment as { Variables?: unknown } | undefined)?.Variables ?? {}) as Record<string, string>;
      const bytes = Object.entries(variables).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(String(v)), 0);
      expect(bytes, `${id} environment`).toBeLessThanOrEqual(quota.environmentBytes);
      expect(p.Timeout as number, `${id} timeout`).toBeLessThanOrEqual(quota.functionTimeoutSeconds);
      expect(p.MemorySize as number, `${id} memory`).toBeGreaterThanOrEqual(quota.memoryMb.min);
      expect(p.MemorySize as number, `${id} memory`).toBeLessThanOrEqual(quota.memoryMb.max);
      expect(String(p.Description ?? '').length, `${id} description`).toBeLessThanOrEqual(quota.descriptionChars);
    }
  });

  it(`lets no HTTP-routed function outlive the ${quota.httpIntegrationTimeoutMs / 1000} s HTTP API integration timeout, nor a WebSocket-routed one the ${quota.webSocketIntegrationTimeoutMs / 1000} s one (${docs.httpApi}, ${docs.webSocketApi})`, () => {
    const timeoutOf = (name: string) => parent.Resources[functionId(name)]!.Properties!.Timeout as number;
    const httpFunctions = new Set([...axon.http.routes.map((r) => r.function), axon.http.fallback]);
    for (const name of httpFunctions) expect(timeoutOf(name) * 1000, name).toBeLessThanOrEqual(quota.httpIntegrationTimeoutMs);
    for (const name of new Set(axon.websocket.routes.map((r) => r.function))) {
      expect(timeoutOf(name) * 1000, name).toBeLessThanOrEqual(quota.webSocketIntegrationTimeoutMs);
    }
    // The integrations themselves: HTTP API at most 30 s, WebSocket at most 29 s (where set).
    for (const [name, t, max] of [
      ['HTTP', nested, quota.httpIntegrationTimeoutMs],
      ['WebSocket', parent, quota.webSocketIntegrationTimeoutMs],
    ] as const) {
      for (const [id, integration] of ofType(t, 'AWS::ApiGatewayV2::Integration')) {
        const timeout = integration.Properties?.TimeoutInMillis as number | undefined;
        if (timeout !== undefined) expect(timeout, `${name} ${id}`).toBeLessThanOrEqual(max);
      }
    }
    // The local gateway gives up when API Gateway would.
    expect(API_GATEWAY_INTEGRATION_TIMEOUT_MS).toBe(quota.httpIntegrationTimeoutMs);
  });

  it(`configures every event source mapping within CreateEventSourceMapping's bounds (${docs.eventSourceMapping})`, () => {
    const mappings = ofType(parent, 'AWS::Lambda::EventSourceMapping');
    expect(mappings.length).toBeGreaterThanOrEqual(axon.topologies.length);
    const within = (id: string, field: string, value: unknown, bounds: { min: number; max: number }) => {
      if (value === undefined) return;
      expect(value as number, `${id} ${field}`).toBeGreaterThanOrEqual(bounds.min);
      expect(value as number, `${id} ${field}`).toBeLessThanOrEqual(bounds.max);
    };
    const m = quota.mapping;
    for (const [id, mapping] of mappings) {
      const p = mapping.Properties!;
      within(id, 'BatchSize', p.BatchSize, m.batchSize);
      within(id, 'MaximumBatchingWindowInSeconds', p.MaximumBatchingWindowInSeconds, m.batchingWindowSeconds);
      within(id, 'ParallelizationFactor', p.ParallelizationFactor, m.parallelizationFactor);
      within(id, 'MaximumRetryAttempts', p.MaximumRetryAttempts, m.retryAttempts);
      within(id, 'TumblingWindowInSeconds', p.TumblingWindowInSeconds, m.tumblingWindowSeconds);
      if (p.MaximumRecordAgeInSeconds !== undefined && p.MaximumRecordAgeInSeconds !== -1) within(id, 'MaximumRecordAgeInSeconds', p.MaximumRecordAgeInSeconds, m.recordAgeSeconds);
      expect(['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP'], `${id} StartingPosition`).toContain(p.StartingPosition);
      expect(p.DestinationConfig, `${id} on-failure destination`).toBeDefined();
    }
  });

  it(`keeps each API within ${quota.httpRoutesPerApi} routes and ${quota.httpIntegrationsPerApi} integrations (${docs.httpApi}, ${docs.webSocketApi})`, () => {
    for (const [name, t, max] of [
      ['HTTP API', nested, quota.httpRoutesPerApi],
      ['WebSocket API', parent, quota.webSocketRoutesPerApi],
    ] as const) {
      const apis = ofType(t, 'AWS::ApiGatewayV2::Api').map(([id]) => id);
      expect(apis.length, name).toBeGreaterThan(0);
      for (const api of apis) {
        const of = (type: string) => ofType(t, type).filter(([, r]) => JSON.stringify(r.Properties?.ApiId) === JSON.stringify({ Ref: api })).length;
        expect(of('AWS::ApiGatewayV2::Route'), `${name} routes`).toBeLessThanOrEqual(max);
        expect(of('AWS::ApiGatewayV2::Integration'), `${name} integrations`).toBeLessThanOrEqual(quota.httpIntegrationsPerApi);
      }
    }
    // Every declared route is there (nothing lost to a limit), plus the $default fallback.
    const httpRoutes = ofType(nested, 'AWS::ApiGatewayV2::Route').length;
    expect(httpRoutes).toBe(axon.http.routes.length + 1);
  });
});

// The 32 KB WebSocket frame quota: API Gateway splits a message it sends (an @connections post of up
// to 128 KB) into frames of at most 32 KB itself, so only the message size binds Axon's frames.
describe(`WebSocket message sizes (${docs.webSocketApi})`, () => {
  it('never posts a frame over the message quota: a larger sync frame is not encoded (it goes as sync_needed)', () => {
    expect(MAX_FRAME_BYTES).toBe(quota.webSocketMessageBytes);
    const envelope = Buffer.byteLength(JSON.stringify(syncFrame('s', { presence: { events: [{ content: '' }] } })));
    const fits = syncFrame('s', { presence: { events: [{ content: 'x'.repeat(MAX_FRAME_BYTES - envelope) }] } });
    expect(Buffer.byteLength(encodeFrame(fits)!)).toBe(MAX_FRAME_BYTES);
    const over = syncFrame('s', { presence: { events: [{ content: 'x'.repeat(MAX_FRAME_BYTES - envelope + 1) }] } });
    expect(encodeFrame(over)).toBeUndefined();
    // Multi-byte characters count as bytes, as API Gateway counts them.
    expect(encodeFrame(syncFrame('s', { presence: { events: [{ content: 'é'.repeat(MAX_FRAME_BYTES / 2) }] } }))).toBeUndefined();
  });

  it('holds the local gateway to the same limits: a post over 128 KB is refused (413), a client message over it closes the socket (1009)', () => {
    expect(MAX_POST_BYTES).toBe(quota.webSocketMessageBytes);
    expect(MAX_MESSAGE_BYTES).toBe(quota.webSocketMessageBytes);
  });
});
