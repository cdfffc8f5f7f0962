// The HTTP API (payload format 2.0): one route per declared route, the fallback function on
// `$default` (unknown paths and wrong methods get Matrix errors from it), CORS from the declaration.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
  PayloadFormatVersion,
  type CorsPreflightOptions,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpAlbIntegration, HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { routeKey, type CorsDecl, type ModuleDecl } from '../core/module.ts';
import type { ModuleFunctions } from './functions.ts';
import type { ModuleServices } from './services.ts';

export interface ModuleHttpApiProps {
  module: ModuleDecl;
  functions: ModuleFunctions;
  /** The services that run: their routes go to them (a private integration) instead of their functions. */
  services?: ModuleServices;
  logRetention: RetentionDays;
  retainLogs: boolean;
}

function corsPreflight(cors: CorsDecl): CorsPreflightOptions {
  return {
    allowOrigins: [...cors.allowOrigins],
    allowMethods: cors.allowMethods.map((m) => CorsHttpMethod[m]),
    allowHeaders: [...cors.allowHeaders],
    maxAge: cors.maxAgeSeconds === undefined ? undefined : Duration.seconds(cors.maxAgeSeconds),
  };
}

export class ModuleHttpApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  /** The base URL clients call, ending in `/`. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: ModuleHttpApiProps) {
    super(scope, id);
    const { module } = props;
    this.api = new HttpApi(this, 'Api', {
      apiName: `${module.name}-http`,
      description: `HTTP API of ${module.name}`,
      createDefaultStage: false,
      corsPreflight: module.http.cors ? corsPreflight(module.http.cors) : undefined,
    });
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: props.retainLogs ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs) },
    });
    this.url = this.stage.url;

    // One integration (and one invoke permission scoped to this API) per function, however many
    // routes it serves: Lambda resource policies have a size limit.
    const integrations = new Map<string, HttpLambdaIntegration>();
    const integration = (fn: string) => {
      let found = integrations.get(fn);
      if (!found) {
        found = new HttpLambdaIntegration(`${fn}Integration`, props.functions.fn(fn), {
          payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
          scopePermissionToRoute: false,
        });
        integrations.set(fn, found);
      }
      return found;
    };
    // One private integration for every service route: the load balancer's rules pick the service.
    const services = props.services;
    const serviceIntegration = services ? new HttpAlbIntegration('ServicesIntegration', services.listener, { vpcLink: services.vpcLink }) : undefined;
    for (const route of module.http.routes) {
      const served = route.service !== undefined && services?.services.has(route.service) ? serviceIntegration : undefined;
      new HttpRoute(this, `Route ${routeKey(route)}`, {
        httpApi: this.api,
        routeKey: HttpRouteKey.with(route.path, HttpMethod[route.method]),
        integration: served ?? integration(route.function),
      });
    }
    new HttpRoute(this, 'Route $default', {
      httpApi: this.api,
      routeKey: HttpRouteKey.DEFAULT,
      integration: integration(module.http.fallback),
    });
  }
}
