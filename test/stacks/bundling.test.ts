// What `cdk synth` bundles for each function is an ES module that loads on Node with its declared
// handler export, with CommonJS support through the banner and the runtime's SDK left external.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import type { FunctionDecl } from '../../lib/core/module.ts';
import { AxonStack } from '../../lib/stacks/axon-stack.ts';
import { projectRoot } from '../../lib/stacks/functions.ts';
import { axon } from '../../lib/matrix/module.ts';

// Inside the project so that the bundles resolve `@aws-sdk/*` from its node_modules, as the
// Lambda runtime resolves them from its own.
const outdir = join(projectRoot, 'cdk.out', `test-bundling-${randomBytes(4).toString('hex')}`);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe("bundling Axon's functions", () => {
  // The CLI turns asset metadata on; it tells which directory holds each function's bundle.
  const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new AxonStack(app, 'axon-bundling', { module: axon, serverName: 'example.org', deletionProtection: false });
  const assembly = app.synth();
  const template = assembly.getStackByName(stack.stackName).template as {
    Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
  };

  it.each(Object.entries(axon.functions) as [string, FunctionDecl][])('bundles %s as a loadable ES module', async (name, decl) => {
    const logicalId = stack.getLogicalId(stack.functions.fn(name).node.defaultChild as never);
    const assetPath = template.Resources[logicalId]?.Metadata?.['aws:asset:path'];
    expect(assetPath, name).toBeDefined();
    const file = join(outdir, assetPath!, 'index.mjs');
    expect(existsSync(file)).toBe(true);
    expect(existsSync(`${file}.map`)).toBe(true);
    const code = readFileSync(file, 'utf8');
    expect(code.startsWith("import { createRequire } from 'node:module';")).toBe(true);
    // Static `import … from "x"` / `import "x"` and dynamic `import("x")`; a bare `from"` inside a
    // minified string literal is not an import.
    const bareImports = [
      ...code.matchAll(/\bimport\s*(?:[\w$*{}\s,]+?\s*from\s*)?["']([^"']+)["']/g),
      ...code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g),
    ].map((m) => m[1]!);
    for (const specifier of bareImports) expect(specifier, name).toMatch(/^(node:|@aws-sdk\/)/);
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    expect(typeof mod[decl.exportName ?? 'handler']).toBe('function');
  });
});
