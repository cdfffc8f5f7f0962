// cdk-nag's AwsSolutions pack over the whole stack: no finding may remain that is not acknowledged
// in lib/stacks/nag-acknowledgements.ts with its reason.
import { Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import type { ModuleDecl } from '../../lib/core/module.ts';
import { axon } from '../../lib/matrix/module.ts';
import { chat } from '../fixtures/stacks/module.ts';
import { synthesize } from './synth.ts';

const modules: [string, ModuleDecl][] = [
  ['axon', axon],
  ['chat fixture', chat],
];

function acknowledgements(root: IConstruct): { id: string; reason: string }[] {
  return root.node
    .findAll()
    .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
    .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ id, reason })));
}

// The CDK CLI always resolves a region (its default or the user's), and an explicit env also sets
// the account: acknowledgements naming ARNs must hold in every one of these, not only env-agnostic.
const environments: [string, { account?: string; region?: string } | undefined][] = [
  ['no environment', undefined],
  ['eu-west-1, no account', { region: 'eu-west-1' }],
  ['us-east-1 with an account', { account: '123456789012', region: 'us-east-1' }],
  ['ap-southeast-2 with an account', { account: '210987654321', region: 'ap-southeast-2' }],
  ['cn-north-1 (aws-cn partition)', { account: '123456789012', region: 'cn-north-1' }],
  ['us-gov-west-1 (aws-us-gov partition)', { account: '123456789012', region: 'us-gov-west-1' }],
];

describe.each(environments)('cdk-nag AwsSolutions on the axon module, %s', (_label, env) => {
  const { app } = synthesize(axon, env ? { env } : {});

  it('leaves no unacknowledged error or warning', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    const findings = report.violations.map((v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(findings).toEqual([]);
  });
});

// With the sync service on Fargate (`-c syncService=fargate`): its VPC, load balancer, cluster and task.
describe.each(environments.filter(([, env]) => env?.region !== undefined).slice(0, 2))('cdk-nag AwsSolutions on the axon module with the sync service, %s', (_label, env) => {
  const { app, stack } = synthesize(axon, { env: env!, services: ['sync'] });

  it('leaves no unacknowledged error or warning, and synthesizes without CDK errors or warnings', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    const findings = report.violations.map((v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(findings).toEqual([]);
    expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });
});

describe.each(modules)('cdk-nag AwsSolutions on the %s module', (_label, module) => {
  const { app, stack } = synthesize(module);

  it('leaves no unacknowledged error or warning', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    const findings = report.violations.map((v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('acknowledges only AwsSolutions rules, each with a specific reason', () => {
    const acks = acknowledgements(stack);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.id).toMatch(/AwsSolutions-[A-Z]+\d+/);
      expect(ack.reason.length, ack.id).toBeGreaterThan(80);
    }
  });

  it('synthesizes without CDK errors or warnings', () => {
    expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });
});
