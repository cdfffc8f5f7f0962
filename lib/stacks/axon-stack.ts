// The stack of a module: everything generated from its declaration, nothing listed by hand.
import { CfnOutput, NestedStack, Stack, type StackProps } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { ModuleDecl } from '../core/module.ts';
import { ModuleAlarms } from './alarms.ts';
import { BlobBucket } from './blobs.ts';
import { ModuleDashboard } from './dashboard.ts';
import { DepotStreams } from './depots.ts';
import { ModuleFunctions } from './functions.ts';
import { ModuleHttpApi } from './http-api.ts';
import { acknowledgeNagFindings } from './nag-acknowledgements.ts';
import { PStateTable } from './table.ts';
import { ModuleServices } from './services.ts';
import { Topologies } from './topologies.ts';
import { ModuleWebSocketApi } from './websocket-api.ts';

export interface AxonStackProps extends StackProps {
  module: ModuleDecl;
  /** The Matrix server name (the part after `:` in user ids). */
  serverName: string;
  /** Who may register: `open`, `token` or `closed` (default). */
  registration?: string;
  /** Keep sliding sync's activity index (first windows read independent of a user's room count, for two item writes per sliding-sync member per message); default on. */
  activityIndex?: boolean;
  /** Protect and retain the table and streams (production); off for throw-away stacks. */
  deletionProtection: boolean;
  /** Where alarm notifications go; without it the topic has no subscriber. */
  alarmEmail?: string;
  logRetention?: RetentionDays;
  /** See ModuleWebSocketApiProps.manageAccountLoggingRole (default true). */
  manageApiGatewayAccountRole?: boolean;
  /**
   * The declared services to run (ECS on Fargate, lib/stacks/services.ts); the routes of the others
   * stay with their functions. Default none: a deployment pays nothing at rest.
   */
  services?: readonly string[];
}

export class AxonStack extends Stack {
  readonly table: PStateTable;
  readonly depots: DepotStreams;
  readonly functions: ModuleFunctions;
  readonly topologies: Topologies;
  readonly httpApi: ModuleHttpApi;
  /** Holds the HTTP API: one route per Client-Server endpoint would not fit CloudFormation's 500
   * resources per stack beside the functions (each with its role, policy, log group and alarm). */
  readonly httpApiStack: NestedStack;
  readonly webSocketApi?: ModuleWebSocketApi;
  readonly blobs?: BlobBucket;
  readonly services?: ModuleServices;
  readonly alarms: ModuleAlarms;
  readonly dashboard: ModuleDashboard;

  constructor(scope: Construct, id: string, props: AxonStackProps) {
    super(scope, id, props);
    const { module } = props;
    const retain = props.deletionProtection;
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;
    // Handlers find their streams as `<AXON_STREAM_PREFIX>-<depot>`.
    const streamPrefix = this.stackName;

    this.table = new PStateTable(this, 'PStates', { deletionProtection: props.deletionProtection });
    this.depots = new DepotStreams(this, 'Depots', { depots: module.depots, topologies: module.topologies, streamPrefix, retain });
    // A WebSocket API without routes cannot be deployed; a module without routes has none.
    if (module.websocket.routes.length) {
      this.webSocketApi = new ModuleWebSocketApi(this, 'WebSocket', {
        module,
        logRetention,
        retainLogs: retain,
        manageAccountLoggingRole: props.manageApiGatewayAccountRole ?? true,
      });
    }
    if (Object.values(module.functions).some((fn) => fn.access?.blobs || fn.access?.deletesBlobs)) {
      this.blobs = new BlobBucket(this, 'Blobs', { retain });
    }
    const services = props.services ?? [];
    for (const name of services) if (!module.services?.[name]) throw new Error(`module "${module.name}" declares no service "${name}"`);
    this.functions = new ModuleFunctions(this, 'Functions', {
      services,
      module,
      table: this.table.table,
      depots: this.depots,
      streamPrefix,
      serverName: props.serverName,
      ...(props.registration !== undefined ? { registration: props.registration } : {}),
      ...(props.activityIndex !== undefined ? { activityIndex: props.activityIndex } : {}),
      push: this.webSocketApi,
      blobs: this.blobs,
      logRetention,
      retainLogs: retain,
    });
    this.webSocketApi?.addRoutes(this.functions);
    this.topologies = new Topologies(this, 'Topologies', { module, depots: this.depots, functions: this.functions, retain });
    if (services.length) {
      if (!this.webSocketApi) throw new Error('services subscribe to notices through the WebSocket API, which this module does not have');
      this.services = new ModuleServices(this, 'Services', {
        module,
        enabled: services,
        table: this.table.table,
        depots: this.depots,
        streamPrefix,
        serverName: props.serverName,
        ...(props.registration !== undefined ? { registration: props.registration } : {}),
      ...(props.activityIndex !== undefined ? { activityIndex: props.activityIndex } : {}),
        webSocketUrl: this.webSocketApi.url,
        metricsNamespace: this.stackName,
        logRetention,
        retainLogs: retain,
      });
    }
    this.httpApiStack = new NestedStack(this, 'HttpApiStack', { description: `HTTP API of ${module.name}` });
    this.httpApi = new ModuleHttpApi(this.httpApiStack, 'Http', { module, functions: this.functions, services: this.services, logRetention, retainLogs: retain });
    this.alarms = new ModuleAlarms(this, 'Alarms', {
      module,
      functions: this.functions,
      topologies: this.topologies,
      alarmEmail: props.alarmEmail,
      retain,
    });
    this.services?.addAlarms(this.alarms.topic);

    this.dashboard = new ModuleDashboard(this, 'Dashboard', {
      module,
      depots: this.depots,
      functions: this.functions,
      topologies: this.topologies,
      httpApi: this.httpApi.api,
      webSocketApi: this.webSocketApi,
    });

    new CfnOutput(this, 'HttpApiUrl', { value: this.httpApi.url, description: 'Matrix client-server base URL' });
    if (this.webSocketApi) new CfnOutput(this, 'WebSocketUrl', { value: this.webSocketApi.url, description: 'Push channel' });
    new CfnOutput(this, 'DashboardName', { value: this.dashboard.dashboard.dashboardName, description: 'CloudWatch dashboard: writes, latency, delivery delay, errors, dead letters' });
    new CfnOutput(this, 'TableName', { value: this.table.table.tableName, description: 'The PState table' });

    acknowledgeNagFindings(this);
  }
}
