// Builds a stack from a module declaration the way bin/axon.ts does, with asset bundling skipped
// (the `aws:cdk:bundling-stacks` context) so that tests do not run esbuild.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll } from 'vitest';
import type { IConstruct } from 'constructs';
import type { ModuleDecl } from '../../lib/core/module.ts';
import { AxonStack, type AxonStackProps } from '../../lib/stacks/axon-stack.ts';

export interface Synthesized {
  app: App;
  stack: AxonStack;
  template: Template;
  /** The nested stack holding the HTTP API (its routes, integrations and invoke permissions). */
  httpTemplate: Template;
  /** The logical id of a construct's CloudFormation resource. */
  logicalId(construct: IConstruct): string;
}

export function synthesize(module: ModuleDecl, props: Partial<AxonStackProps> = {}): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'axon-cdk-test-'));
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new AxonStack(app, props.stackName ?? `${module.name}-test`, {
    module,
    serverName: 'example.org',
    deletionProtection: false,
    ...props,
  });
  const template = Template.fromStack(stack);
  const httpTemplate = Template.fromStack(stack.httpApiStack);
  // Without an explicit outdir every App would leave a cdk.out* directory in the OS temp dir.
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));
  const logicalId = (construct: IConstruct) => {
    const resource = (construct.node.defaultChild ?? construct) as CfnElement;
    return Stack.of(construct).getLogicalId(resource);
  };
  return { app, stack, template, httpTemplate, logicalId };
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string }>;

export function resourcesOfType(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}
