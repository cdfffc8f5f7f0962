// The sync service on AWS (lib/stacks/services.ts): off by default (the /sync route stays with its
// function, nothing runs at rest, functions notify nobody); with `services: ['sync']` an ECS service
// on Fargate (arm64) behind an internal load balancer serves /sync through a VPC link, scaled on
// open polls and CPU, with a task role of the declared access only, alarms, and the functions that
// wake long-polls told to notify it.
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { routeKey } from '../../lib/core/module.ts';
import { OPEN_REQUESTS_METRIC } from '../../lib/core/service/metrics.ts';
import { axon } from '../../lib/matrix/module.ts';
import { SYNC_SERVICE } from '../../lib/matrix/sync/notices.ts';
import { pathPatterns, SERVICE_PORT } from '../../lib/stacks/services.ts';
import { resourcesOfType, synthesize, type Synthesized } from './synth.ts';

const syncRoute = axon.http.routes.find((r) => r.service === SYNC_SERVICE)!;
const syncService = axon.services![SYNC_SERVICE]!;

/** The integration each route of the HTTP API goes to, by route key. */
function integrationsByRoute({ httpTemplate }: Synthesized): Map<string, Record<string, unknown>> {
  const integrations = resourcesOfType(httpTemplate, 'AWS::ApiGatewayV2::Integration');
  const out = new Map<string, Record<string, unknown>>();
  for (const route of Object.values(resourcesOfType(httpTemplate, 'AWS::ApiGatewayV2::Route'))) {
    const target = JSON.stringify(route.Properties?.Target);
    const id = Object.keys(integrations).find((i) => target.includes(`"${i}"`))!;
    out.set(route.Properties?.RouteKey as string, integrations[id]!.Properties!);
  }
  return out;
}

/** Functions whose environment names services to notify, by function. */
function notifiedBy({ stack, template, logicalId }: Synthesized): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [name, fn] of stack.functions.functions) {
    const props = template.toJSON().Resources[logicalId(fn)].Properties as { Environment: { Variables: Record<string, unknown> } };
    const notify = props.Environment.Variables.AXON_NOTIFY_SERVICES;
    if (notify !== undefined) out.set(name, notify);
  }
  return out;
}

describe('without the sync service (the default)', () => {
  const synth = synthesize(axon);

  it('serves /sync with the sync function and runs nothing else', () => {
    expect(integrationsByRoute(synth).get(routeKey(syncRoute))).toMatchObject({ IntegrationType: 'AWS_PROXY' });
    for (const type of ['AWS::ECS::Service', 'AWS::ElasticLoadBalancingV2::LoadBalancer', 'AWS::EC2::VPC', 'AWS::ApiGatewayV2::VpcLink']) {
      expect(Object.keys(resourcesOfType(synth.template, type)), type).toEqual([]);
      expect(Object.keys(resourcesOfType(synth.httpTemplate, type)), type).toEqual([]);
    }
  });

  it('has no function notify a service, or touch service registrations', () => {
    expect(notifiedBy(synth)).toEqual(new Map());
    expect(JSON.stringify(synth.template.toJSON())).not.toContain('$svc#*');
  });
});

describe('with the sync service on Fargate', () => {
  // Load balancer access logs need the region (the CDK CLI always resolves one).
  const synth = synthesize(axon, { services: [SYNC_SERVICE], env: { region: 'eu-west-1' } });
  const { template, stack } = synth;

  it('routes /sync to the load balancer through a VPC link, every other route to its function', () => {
    const byRoute = integrationsByRoute(synth);
    expect(byRoute.get(routeKey(syncRoute))).toMatchObject({ IntegrationType: 'HTTP_PROXY', ConnectionType: 'VPC_LINK', IntegrationMethod: 'ANY' });
    for (const [key, integration] of byRoute) if (key !== routeKey(syncRoute)) expect(integration, key).toMatchObject({ IntegrationType: 'AWS_PROXY' });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internal' });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: pathPatterns([syncRoute.path]) } }],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: SERVICE_PORT,
      HealthCheckPath: '/health',
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }]),
    });
  });

  it('runs the service on Fargate arm64 with the declared size, its image built from services/Dockerfile', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      Cpu: String(syncService.cpu),
      Memory: String(syncService.memoryMb),
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      ContainerDefinitions: [
        Match.objectLike({
          PortMappings: [Match.objectLike({ ContainerPort: SERVICE_PORT })],
          LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }),
          Environment: Match.arrayWith([Match.objectLike({ Name: 'AXON_WS_URL' }), Match.objectLike({ Name: 'AXON_METRICS_NAMESPACE' })]),
        }),
      ],
    });
    template.hasResourceProperties('AWS::ECS::Service', {
      LaunchType: 'FARGATE',
      DesiredCount: syncService.scaling.minTasks,
      DeploymentConfiguration: Match.objectLike({ DeploymentCircuitBreaker: { Enable: true, Rollback: true } }),
    });
    const manifest = JSON.stringify(stack.node.findAll().filter((c) => c.node.id === 'AssetImage').map((c) => c.node.path));
    expect(manifest).toContain('Services');
  });

  it('scales on open polls per task and on CPU, between the declared bounds', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: syncService.scaling.minTasks,
      MaxCapacity: syncService.scaling.maxTasks,
      ScalableDimension: 'ecs:service:DesiredCount',
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        TargetValue: syncService.scaling.openRequestsPerTask,
        CustomizedMetricSpecification: Match.objectLike({ MetricName: OPEN_REQUESTS_METRIC, Statistic: 'Average' }),
      }),
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        TargetValue: syncService.scaling.cpuPercent,
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
      }),
    });
  });

  it('gives the task role the table keys and depots of the declared access, and no @connections', () => {
    const role = stack.services!.services.get(SYNC_SERVICE)!.taskRole;
    const policies = Object.values(resourcesOfType(template, 'AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties?.Roles).includes(synth.logicalId(role)),
    );
    const statements = policies.flatMap((p) => (p.Properties?.PolicyDocument as { Statement: { Action: string | string[]; Condition?: unknown }[] }).Statement);
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions).not.toContain('execute-api:ManageConnections');
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'kinesis:PutRecord']));
    for (const s of statements.filter((st) => [st.Action].flat().some((a) => a.startsWith('dynamodb:')))) {
      expect(JSON.stringify(s.Condition)).toContain('dynamodb:LeadingKeys');
    }
  });

  it('tells the functions that wake long-polls to notify it, and alarms on its health', () => {
    const notified = notifiedBy(synth);
    for (const fn of ['roomsTopology', 'ephemeralTopology']) expect(notified.get(fn), fn).toBe(SYNC_SERVICE);
    expect(notified.has('sync')).toBe(false);
    const alarms = Object.values(resourcesOfType(template, 'AWS::CloudWatch::Alarm')).map((a) => String(a.Properties?.AlarmDescription));
    for (const text of ['5xx', 'health check', 'fewer healthy tasks', 'CPU']) expect(alarms.some((d) => d.includes(text)), text).toBe(true);
  });
});
