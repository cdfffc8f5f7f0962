// One NodejsFunction per declared function, each with its own role, log group and the grants its
// declared access implies (least privilege: PState items by leading key, streams by name).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { depotPartitionsVariable } from '../core/environment.ts';
import { functionDefaults, type FunctionDecl, type ModuleDecl } from '../core/module.ts';
import { LAMBDA_MAX_UPLOAD_BYTES, type BlobBucket } from './blobs.ts';
import type { DepotStreams } from './depots.ts';
import { functionGrants, functionStatements } from './grants.ts';

/** The project root (where package.json and package-lock.json are); entries are relative to it. */
export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');


/** Lets ESM bundles load CommonJS dependencies that call `require`. */
const esmRequireBanner = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

export interface PushTarget {
  /** The `wss://` URL clients connect to: /.well-known/matrix/client advertises it (org.axon.websocket). */
  url: string;
  /** The `@connections` management endpoint (https URL of the WebSocket stage). */
  managementEndpoint: string;
  /** `arn:<partition>:execute-api:<region>:<account>:<api id>`: pushing functions manage its stage's connections. */
  apiArn: string;
  stageName: string;
}

export interface ModuleFunctionsProps {
  module: ModuleDecl;
  table: ITable;
  depots: DepotStreams;
  streamPrefix: string;
  serverName: string;
  /** Who may register (lib/matrix/accounts/registration-mode.ts); default `closed`. */
  registration?: string;
  /** Keep sliding sync's activity index (lib/matrix/rooms/activity-index.ts); default off. */
  activityIndex?: boolean;
  /** Where pushing functions post; required when a function declares `pushes`. */
  push?: PushTarget;
  /** The blob bucket; required when a function declares `blobs`. */
  blobs?: BlobBucket;
  logRetention: RetentionDays;
  retainLogs: boolean;
  /** The services the deployment runs (the others' routes stay with their functions). */
  services?: readonly string[];
}

/** What every part of the module reads from its environment: the table, depots, server name and who may register. */
export function moduleEnvironment(props: { table: ITable; streamPrefix: string; serverName: string; registration?: string; activityIndex?: boolean }): Record<string, string> {
  return {
    AXON_TABLE: props.table.tableName,
    AXON_STREAM_PREFIX: props.streamPrefix,
    AXON_SERVER_NAME: props.serverName,
    // Closed unless the deployment opens it: a new server on the internet takes no sign-ups.
    AXON_REGISTRATION: props.registration ?? 'closed',
    // On unless turned off: it costs only users of sliding sync (lib/matrix/rooms/activity-index.ts).
    AXON_ACTIVITY_INDEX: props.activityIndex === false ? 'off' : 'on',
  };
}

export class ModuleFunctions extends Construct {
  readonly functions: ReadonlyMap<string, NodejsFunction>;

  constructor(scope: Construct, id: string, props: ModuleFunctionsProps) {
    super(scope, id);
    const functions = new Map<string, NodejsFunction>();
    for (const [name, decl] of Object.entries(props.module.functions) as [string, FunctionDecl][]) {
      functions.set(name, this.createFunction(name, decl, props));
    }
    this.functions = functions;
  }

  /** The function of a declared name; a missing one is a bug in the declaration or the stack. */
  fn(name: string): NodejsFunction {
    const fn = this.functions.get(name);
    if (!fn) throw new Error(`no function "${name}"`);
    return fn;
  }

  private createFunction(name: string, decl: FunctionDecl, props: ModuleFunctionsProps): NodejsFunction {
    const scope = new Construct(this, name);
    const grants = functionGrants(props.module, name, props.services ?? []);
    const logGroup = new LogGroup(scope, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.retainLogs ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    // Our own role instead of AWSLambdaBasicExecutionRole: logs go to this log group only.
    const role = new Role(scope, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the ${name} function of ${props.module.name}`,
    });
    const statements = functionStatements(props.module, name, {
      table: props.table.tableArn,
      stream: (depot) => props.depots.stream(depot).streamArn,
      consumer: (topology) => props.depots.consumer(topology).streamConsumerArn,
      logGroup: logGroup.logGroupArn,
      webSocket: props.push && { apiArn: props.push.apiArn, stage: props.push.stageName },
      blobBucket: props.blobs?.bucket.bucketArn,
    }, props.services ?? []);
    for (const statement of statements) role.addToPrincipalPolicy(new PolicyStatement(statement));

    const environment: Record<string, string> = {
      ...moduleEnvironment(props),
      NODE_OPTIONS: '--enable-source-maps',
      AWS_NODEJS_CONNECTION_REUSE_ENABLED: '1',
    };
    if (props.push) environment.AXON_WS_URL = props.push.url;
    // Every appender must map partition keys to the same partitions (lib/core/partitions.ts).
    if (grants.appends.length) environment.AXON_DEPOT_PARTITIONS = depotPartitionsVariable(props.module.depots);
    if (grants.pushes && props.push) environment.AXON_WS_MANAGEMENT_ENDPOINT = props.push.managementEndpoint;
    // Functions that wake long-polls tell the services that run (lib/core/service/notices.ts).
    if (grants.notifies.length) environment.AXON_NOTIFY_SERVICES = grants.notifies.join(',');
    if (grants.blobs && props.blobs) {
      environment.AXON_MEDIA_BUCKET = props.blobs.bucket.bucketName;
      environment.AXON_MEDIA_MAX_BYTES = String(LAMBDA_MAX_UPLOAD_BYTES);
    } else if (grants.deletesBlobs && props.blobs) {
      environment.AXON_MEDIA_BUCKET = props.blobs.bucket.bucketName;
    }

    return new NodejsFunction(scope, 'Function', {
      description: decl.description,
      entry: join(projectRoot, decl.entry),
      handler: decl.exportName ?? 'handler',
      projectRoot,
      depsLockFilePath: join(projectRoot, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: decl.memoryMb ?? functionDefaults.memoryMb,
      timeout: Duration.seconds(decl.timeoutSeconds ?? functionDefaults.timeoutSeconds),
      role,
      logGroup,
      environment,
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        banner: esmRequireBanner,
        mainFields: ['module', 'main'],
        // The nodejs22.x runtime ships SDK v3.
        externalModules: ['@aws-sdk/*'],
        // Bundle with the installed esbuild; synth never needs Docker.
        forceDockerBundling: false,
        // jimp (through @jimp/file-ops) imports `fs` by its bare name: spell it `node:fs`, so a
        // bundle's only external imports stay `node:` builtins and the runtime's SDK.
        esbuildArgs: { '--alias:fs': 'node:fs' },
      },
    });
  }
}
