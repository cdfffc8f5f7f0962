// The tree's import rules (.dependency-cruiser.cjs), checked on the real import graph of lib/,
// functions/ and bin/: no file-level cycles, lib/core knows no Matrix, lib/matrix no AWS client or
// stack, lib/http no Matrix, no library imports a handler. dependency-cruiser resolves imports as TypeScript does
// (type-only imports included), so a rule broken anywhere fails here with the offending edge.
import { createRequire } from 'node:module';
import { cruise, type ICruiseResult, type IViolation } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const config = require('../../.dependency-cruiser.cjs') as { forbidden: unknown[]; options: Record<string, unknown> };

const describeViolation = (v: IViolation) => `${v.rule.name}: ${[v.from, ...(v.cycle?.map((c) => c.name) ?? [v.to])].join(' → ')}`;

describe('import graph', () => {
  it('keeps the layering rules and has no import cycles', async () => {
    const result = await cruise(['lib', 'functions', 'bin'], { ...config.options, validate: true, ruleSet: { forbidden: config.forbidden } } as never);
    const output = result.output as ICruiseResult;
    // Something was cruised (a wrong path would pass vacuously).
    expect(output.summary.totalCruised).toBeGreaterThan(300);
    expect(output.summary.violations.map(describeViolation)).toEqual([]);
  }, 120_000);
});
