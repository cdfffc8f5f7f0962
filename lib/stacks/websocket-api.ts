// The WebSocket API: routes chosen by `$request.body.<routeSelectionField>`, one auto-deployed
// stage `live` with access logging, and the `@connections` endpoint that pushing functions post to.
// Created before the functions (they need its endpoint), routed after them.
import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import { LogGroupLogDestination, WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ModuleDecl } from '../core/module.ts';
import type { ModuleFunctions, PushTarget } from './functions.ts';

export const WEBSOCKET_STAGE = 'live';

export interface ModuleWebSocketApiProps {
  module: ModuleDecl;
  logRetention: RetentionDays;
  retainLogs: boolean;
  /**
   * Set the account-wide API Gateway CloudWatch Logs role, which WebSocket access logging needs.
   * Turn off when the account already has one managed elsewhere.
   */
  manageAccountLoggingRole: boolean;
}

export class ModuleWebSocketApi extends Construct implements PushTarget {
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;
  /** The `wss://` URL clients connect to. */
  readonly url: string;
  readonly managementEndpoint: string;
  readonly apiArn: string;
  readonly stageName = WEBSOCKET_STAGE;

  constructor(scope: Construct, id: string, private readonly props: ModuleWebSocketApiProps) {
    super(scope, id);
    const { module } = props;
    this.api = new WebSocketApi(this, 'Api', {
      apiName: `${module.name}-websocket`,
      description: `WebSocket API of ${module.name}`,
      routeSelectionExpression: `$request.body.${module.websocket.routeSelectionField}`,
    });
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: props.retainLogs ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: WEBSOCKET_STAGE,
      autoDeploy: true,
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs) },
    });
    if (props.manageAccountLoggingRole) this.stage.node.addDependency(this.accountLoggingRole());
    this.url = this.stage.url;
    this.managementEndpoint = this.stage.callbackUrl;
    this.apiArn = Stack.of(this).formatArn({ service: 'execute-api', resource: this.api.apiId });
  }

  /** Route every declared WebSocket route to its function. */
  addRoutes(functions: ModuleFunctions): void {
    const integrations = new Map<string, WebSocketLambdaIntegration>();
    for (const route of this.props.module.websocket.routes) {
      let integration = integrations.get(route.function);
      if (!integration) {
        integration = new WebSocketLambdaIntegration(`${route.function}Integration`, functions.fn(route.function));
        integrations.set(route.function, integration);
      }
      this.api.addRoute(route.route, { integration });
    }
  }

  /** API Gateway writes WebSocket access logs with the account's CloudWatch role. */
  private accountLoggingRole(): CfnAccount {
    const stack = Stack.of(this);
    const role = new Role(this, 'AccountLoggingRole', {
      assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
      description: 'API Gateway account role: writes API access and execution logs to CloudWatch Logs',
      inlinePolicies: {
        logs: new PolicyDocument({
          statements: [
            new PolicyStatement({
              actions: [
                'logs:CreateLogGroup',
                'logs:CreateLogStream',
                'logs:DescribeLogGroups',
                'logs:DescribeLogStreams',
                'logs:PutLogEvents',
                'logs:GetLogEvents',
                'logs:FilterLogEvents',
              ],
              resources: [stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
            }),
          ],
        }),
      },
    });
    // The role is an account-wide setting other APIs may rely on: keep it when the stack goes.
    role.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const account = new CfnAccount(this, 'AccountLogging', { cloudWatchRoleArn: role.roleArn });
    account.applyRemovalPolicy(RemovalPolicy.RETAIN);
    return account;
  }
}
