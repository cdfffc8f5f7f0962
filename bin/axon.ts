// The CDK app: Axon's stack, generated from its module declaration. `npx cdk synth` needs no AWS
// credentials; `cdk deploy` targets the account and region of the current credentials.
// Context (cdk.json or `-c key=value`): stackName, serverName, registration (open, token or
// closed, the default), deletionProtection, alarmEmail, enhancedFanOut (true/false, default
// true), activityIndex (sliding sync's activity index, true/false, default true), and
// `<service>Service` per declared service: `lambda` (default: its routes go to their functions) or
// `fargate` (an ECS service on Fargate serves them), e.g. `-c syncService=fargate`.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AxonStack } from '../lib/stacks/axon-stack.ts';
import { axonModule } from '../lib/matrix/module.ts';
import { isRegistrationMode } from '../lib/matrix/accounts/registration-mode.ts';

const app = new App();

function context(key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key);
  return value === undefined || value === null || value === '' ? undefined : String(value);
}

function flag(key: string, fallback: boolean): boolean {
  const value = context(key);
  if (value === undefined) return fallback;
  if (value !== 'true' && value !== 'false') throw new Error(`context ${key} must be true or false, got "${value}"`);
  return value === 'true';
}

// Latency-critical topologies read with enhanced fan-out unless `-c enhancedFanOut=false`.
const axon = axonModule({ enhancedFanOut: flag('enhancedFanOut', true) });

const stackName = context('stackName') ?? axon.name;

const registration = context('registration') ?? 'closed';
if (!isRegistrationMode(registration)) throw new Error(`context registration must be open, token or closed, got "${registration}"`);

/** The declared services this deployment runs on Fargate. */
const services = Object.keys(axon.services ?? {}).filter((name) => {
  const mode = context(`${name}Service`) ?? 'lambda';
  if (mode !== 'lambda' && mode !== 'fargate') throw new Error(`context ${name}Service must be lambda or fargate, got "${mode}"`);
  return mode === 'fargate';
});

new AxonStack(app, stackName, {
  stackName,
  module: axon,
  serverName: context('serverName') ?? 'localhost',
  registration,
  activityIndex: flag('activityIndex', true),
  // Protected unless a throw-away stack asks otherwise: the table and depots are the data.
  deletionProtection: flag('deletionProtection', true),
  alarmEmail: context('alarmEmail'),
  services,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description: 'Axon: a Matrix homeserver built from depots, topologies and PStates',
});

// AwsSolutions checks on every synth: an unacknowledged finding fails it.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
