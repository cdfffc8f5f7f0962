// The module's long-lived services (ServiceDecl, lib/core/module.ts) where the deployment enables
// them (`-c syncService=fargate`): each an ECS service on Fargate (arm64) behind one internal
// Application Load Balancer, which the HTTP API reaches through a VPC link (a private integration)
// for the routes that name the service. The tasks run the service's container image
// (services/Dockerfile), with a task role derived from the declared access as a function's role is,
// and scale on open requests per task (a metric each instance logs) and on CPU.
//
// Network: a VPC of public subnets only, no NAT gateway (one costs more a month than a task). Tasks
// get public addresses for their way out (ECR, CloudWatch Logs, Kinesis, the WebSocket API they
// subscribe through) and accept connections only from the load balancer; DynamoDB is reached
// through a gateway endpoint (free, and the table's traffic stays off the internet). The load
// balancer is internal: only the VPC link reaches it.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { VpcLink } from 'aws-cdk-lib/aws-apigatewayv2';
import { FlowLogDestination, GatewayVpcEndpointAwsService, Peer, Port, SecurityGroup, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { Cluster, ContainerImage, ContainerInsights, CpuArchitecture, FargateService, FargateTaskDefinition, LogDrivers, OperatingSystemFamily } from 'aws-cdk-lib/aws-ecs';
import { ApplicationListener, ApplicationLoadBalancer, ApplicationProtocol, HttpCodeTarget, ListenerAction, ListenerCondition, type ApplicationTargetGroup } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { depotPartitionsVariable } from '../core/environment.ts';
import type { ModuleDecl, ServiceDecl } from '../core/module.ts';
import { OPEN_REQUESTS_METRIC } from '../core/service/metrics.ts';
import type { DepotStreams } from './depots.ts';
import { moduleEnvironment, projectRoot } from './functions.ts';
import { serviceGrants, serviceStatements } from './grants.ts';

/** The port a service's container listens on (lib/http/service-main.ts, services/Dockerfile). */
export const SERVICE_PORT = 8080;

/** What a task keeps answering after the load balancer stops sending it requests: a long-poll's wait. */
const DEREGISTRATION_DELAY = Duration.seconds(30);

/** Route paths as a load balancer's path patterns (`{param}` becomes `*`). */
export function pathPatterns(paths: readonly string[]): string[] {
  return [...new Set(paths.map((p) => p.replace(/\{[^}]+\}/g, '*')))];
}

export interface ModuleServicesProps {
  module: ModuleDecl;
  /** The services to run (names declared in the module). */
  enabled: readonly string[];
  table: ITable;
  depots: DepotStreams;
  streamPrefix: string;
  serverName: string;
  registration?: string;
  activityIndex?: boolean;
  /** The WebSocket API's URL: instances subscribe to notices there (lib/core/service/subscription.ts). */
  webSocketUrl: string;
  /** Where the open-requests metric goes (its namespace). */
  metricsNamespace: string;
  logRetention: RetentionDays;
  retainLogs: boolean;
}

export interface RunningService {
  decl: ServiceDecl;
  service: FargateService;
  taskRole: Role;
  logGroup: LogGroup;
  targetGroup: ApplicationTargetGroup;
  /** Open requests per task, as the scaling sees it. */
  openRequests: IMetric;
}

export class ModuleServices extends Construct {
  readonly vpc: Vpc;
  readonly cluster: Cluster;
  readonly loadBalancer: ApplicationLoadBalancer;
  /** The listener the HTTP API's private integrations target (through the VPC link). */
  readonly listener: ApplicationListener;
  /** How the HTTP API reaches the load balancer. */
  readonly vpcLink: VpcLink;
  readonly services: ReadonlyMap<string, RunningService>;

  constructor(scope: Construct, id: string, props: ModuleServicesProps) {
    super(scope, id);
    this.vpc = new Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: SubnetType.PUBLIC }],
      gatewayEndpoints: { DynamoDb: { service: GatewayVpcEndpointAwsService.DYNAMODB } },
    });
    const flowLogs = new LogGroup(this, 'FlowLogs', {
      retention: props.logRetention,
      removalPolicy: props.retainLogs ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.vpc.addFlowLog('FlowLog', { destination: FlowLogDestination.toCloudWatchLogs(flowLogs) });
    this.cluster = new Cluster(this, 'Cluster', { vpc: this.vpc, containerInsightsV2: ContainerInsights.ENABLED });

    const accessLogs = new Bucket(this, 'LoadBalancerLogs', {
      // Load balancer access logs support SSE-S3 only.
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(30) }],
      removalPolicy: props.retainLogs ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      autoDeleteObjects: !props.retainLogs,
    });
    const balancerGroup = new SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: this.vpc,
      description: 'Internal load balancer of the services: HTTP from the VPC link only',
      allowAllOutbound: false,
    });
    this.loadBalancer = new ApplicationLoadBalancer(this, 'LoadBalancer', { vpc: this.vpc, internetFacing: false, securityGroup: balancerGroup });
    this.loadBalancer.logAccessLogs(accessLogs);
    this.listener = this.loadBalancer.addListener('Listener', {
      protocol: ApplicationProtocol.HTTP,
      port: 80,
      open: false,
      defaultAction: ListenerAction.fixedResponse(404, { contentType: 'application/json', messageBody: '{"errcode":"M_UNRECOGNIZED","error":"Unrecognized request"}' }),
    });

    const linkGroup = new SecurityGroup(this, 'VpcLinkSecurityGroup', { vpc: this.vpc, description: 'The HTTP API VPC link: to the load balancer only', allowAllOutbound: false });
    this.vpcLink = new VpcLink(this, 'VpcLink', { vpc: this.vpc, subnets: { subnetType: SubnetType.PUBLIC }, securityGroups: [linkGroup] });
    balancerGroup.addIngressRule(linkGroup, Port.tcp(80), 'HTTP from the HTTP API VPC link');
    linkGroup.addEgressRule(balancerGroup, Port.tcp(80), 'HTTP to the load balancer');

    const services = new Map<string, RunningService>();
    props.enabled.forEach((name, index) => services.set(name, this.createService(name, index, balancerGroup, props)));
    this.services = services;
  }

  private createService(name: string, index: number, balancerGroup: SecurityGroup, props: ModuleServicesProps): RunningService {
    const decl = props.module.services?.[name];
    if (!decl) throw new Error(`module "${props.module.name}" declares no service "${name}"`);
    const routes = props.module.http.routes.filter((r) => r.service === name);
    const scope = new Construct(this, name);
    const grants = serviceGrants(props.module, name);

    const taskRole = new Role(scope, 'TaskRole', {
      assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `Runs the ${name} service of ${props.module.name}`,
    });
    const statements = serviceStatements(props.module, name, { table: props.table.tableArn, stream: (depot) => props.depots.stream(depot).streamArn });
    for (const statement of statements) taskRole.addToPrincipalPolicy(new PolicyStatement(statement));
    const logGroup = new LogGroup(scope, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.retainLogs ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    const task = new FargateTaskDefinition(scope, 'Task', {
      cpu: decl.cpu,
      memoryLimitMiB: decl.memoryMb,
      taskRole,
      runtimePlatform: { cpuArchitecture: CpuArchitecture.ARM64, operatingSystemFamily: OperatingSystemFamily.LINUX },
    });
    task.addContainer('Container', {
      image: ContainerImage.fromAsset(projectRoot, { file: 'services/Dockerfile', buildArgs: { SERVICE: name }, platform: Platform.LINUX_ARM64 }),
      logging: LogDrivers.awsLogs({ logGroup, streamPrefix: name }),
      portMappings: [{ containerPort: SERVICE_PORT }],
      environment: {
        ...moduleEnvironment(props),
        AXON_SERVICE_PORT: String(SERVICE_PORT),
        AXON_WS_URL: props.webSocketUrl,
        AXON_METRICS_NAMESPACE: props.metricsNamespace,
        // Every appender must map partition keys to the same partitions (lib/core/partitions.ts).
        ...(grants.appends.length ? { AXON_DEPOT_PARTITIONS: depotPartitionsVariable(props.module.depots) } : {}),
      },
      // A stopping task answers its waiting polls at once (SIGTERM); the rest is a margin.
      stopTimeout: Duration.seconds(10),
    });

    const taskGroup = new SecurityGroup(scope, 'SecurityGroup', { vpc: this.vpc, description: `Tasks of the ${name} service: from the load balancer only` });
    taskGroup.addIngressRule(Peer.securityGroupId(balancerGroup.securityGroupId), Port.tcp(SERVICE_PORT), 'from the load balancer');
    balancerGroup.addEgressRule(taskGroup, Port.tcp(SERVICE_PORT), `to the ${name} service`);
    const service = new FargateService(scope, 'Service', {
      cluster: this.cluster,
      taskDefinition: task,
      desiredCount: decl.scaling.minTasks,
      assignPublicIp: true,
      vpcSubnets: { subnetType: SubnetType.PUBLIC },
      securityGroups: [taskGroup],
      circuitBreaker: { rollback: true },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      healthCheckGracePeriod: Duration.seconds(60),
    });
    const targetGroup = this.listener.addTargets(`${name}Targets`, {
      priority: index + 1,
      conditions: [ListenerCondition.pathPatterns(pathPatterns(routes.map((r) => r.path)))],
      port: SERVICE_PORT,
      protocol: ApplicationProtocol.HTTP,
      targets: [service],
      deregistrationDelay: DEREGISTRATION_DELAY,
      // 200 only while the instance is subscribed to notices (lib/http/service-host.ts).
      healthCheck: { path: '/health', healthyHttpCodes: '200', interval: Duration.seconds(15), healthyThresholdCount: 2, unhealthyThresholdCount: 2 },
    });

    const openRequests = new Metric({
      namespace: props.metricsNamespace,
      metricName: OPEN_REQUESTS_METRIC,
      dimensionsMap: { Service: name },
      statistic: 'Average',
      period: Duration.minutes(1),
    });
    const scaling = service.autoScaleTaskCount({ minCapacity: decl.scaling.minTasks, maxCapacity: decl.scaling.maxTasks });
    scaling.scaleToTrackCustomMetric('OpenRequests', { metric: openRequests, targetValue: decl.scaling.openRequestsPerTask });
    scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: decl.scaling.cpuPercent });
    return { decl, service, taskRole, logGroup, targetGroup, openRequests };
  }

  /** Alarms that say a service is unwell: unhealthy or missing tasks, 5xx answers, CPU near its limit. */
  addAlarms(topic: ITopic): Alarm[] {
    const alarms: Alarm[] = [];
    const alarm = (scope: Construct, id: string, description: string, metric: IMetric, threshold: number, comparison = ComparisonOperator.GREATER_THAN_THRESHOLD, evaluationPeriods = 1) => {
      const a = new Alarm(scope, id, { alarmDescription: description, metric, threshold, comparisonOperator: comparison, evaluationPeriods, treatMissingData: TreatMissingData.NOT_BREACHING });
      a.addAlarmAction(new SnsAction(topic));
      alarms.push(a);
    };
    const minute = { period: Duration.minutes(1) };
    alarm(this, 'TargetErrors', 'A service answered with 5xx', this.loadBalancer.metrics.httpCodeTarget(HttpCodeTarget.TARGET_5XX_COUNT, { ...minute, statistic: 'Sum' }), 0);
    for (const [name, running] of this.services) {
      const scope = running.service;
      const targets = running.targetGroup.metrics;
      alarm(scope, 'UnhealthyTasks', `A task of service ${name} fails its health check (not subscribed to notices)`, targets.unhealthyHostCount({ ...minute, statistic: 'Maximum' }), 0, ComparisonOperator.GREATER_THAN_THRESHOLD, 2);
      alarm(scope, 'HealthyTasks', `Service ${name} has fewer healthy tasks than its minimum (${running.decl.scaling.minTasks})`, targets.healthyHostCount({ ...minute, statistic: 'Minimum' }), running.decl.scaling.minTasks, ComparisonOperator.LESS_THAN_THRESHOLD, 3);
      alarm(scope, 'Cpu', `Service ${name} runs above 90% CPU`, running.service.metricCpuUtilization(minute), 90, ComparisonOperator.GREATER_THAN_THRESHOLD, 3);
    }
    return alarms;
  }
}
