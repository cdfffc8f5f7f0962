// The stack's CloudWatch dashboard shows, for every declared depot, topology and function, what an
// operator looks at first: records written per second, write latency, delivery delay (iterator
// age), errors and dead-lettered records.
import { describe, expect, it } from 'vitest';
import { axon } from '../../lib/matrix/module.ts';
import { functionGrants } from '../../lib/stacks/grants.ts';
import { resourcesOfType, synthesize } from './synth.ts';

describe("the axon stack's dashboard", () => {
  const { stack, template, logicalId } = synthesize(axon);
  const dashboards = Object.values(resourcesOfType(template, 'AWS::CloudWatch::Dashboard'));
  // The body is a Fn::Join of JSON text and references: joined with each reference as `@<logical id>`.
  const [, parts] = (dashboards[0]?.Properties?.DashboardBody as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  const reference = (p: { Ref?: string; 'Fn::GetAtt'?: string[] }) => `@${p.Ref ?? p['Fn::GetAtt']?.join('.') ?? '?'}`;
  const body = parts.map((p) => (typeof p === 'string' ? p : reference(p as never))).join('');
  const widgets = (JSON.parse(body) as { widgets: { properties: { metrics?: unknown[][] } }[] }).widgets;
  // Every metric line as its namespace and name (the first two entries; later ones repeat them as "." or an object).
  const metrics = widgets.flatMap((w) => w.properties.metrics ?? []).map((m) => m.filter((e) => typeof e === 'string'));
  const occurrences = (name: string) => metrics.filter((m) => m[1] === name).length;

  it('is one dashboard, named in the outputs', () => {
    expect(dashboards).toHaveLength(1);
    expect(template.findOutputs('DashboardName')).not.toEqual({});
  });

  it("charts every depot's records per second, every topology's iterator age and dead letters", () => {
    expect(occurrences('IncomingRecords')).toBe(axon.depots.length);
    for (const depot of axon.depots) expect(body).toContain(`@${logicalId(stack.depots.stream(depot.name))}`);
    expect(occurrences('IteratorAge')).toBe(axon.topologies.length);
    expect(occurrences('ApproximateNumberOfMessagesVisible')).toBe(stack.topologies.deadLetterQueues.size);
  });

  it('charts the write latency of every function that appends, and errors and throttles of all functions', () => {
    const writers = Object.keys(axon.functions).filter((name) => functionGrants(axon, name).appends.length > 0);
    expect(writers).toContain('roomEvents');
    expect(occurrences('Duration')).toBe(writers.length);
    expect(occurrences('Errors')).toBe(Object.keys(axon.functions).length);
    expect(occurrences('Throttles')).toBe(Object.keys(axon.functions).length);
    expect(occurrences('5xx')).toBe(1);
    expect(occurrences('Latency')).toBe(2);
  });
});
