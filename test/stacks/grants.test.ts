// Least privilege derived from each function's declared access: PState items by leading key,
// streams by depot, connections only for pushers, and never a wildcard table or action.
import { describe, expect, it } from 'vitest';
import type { FunctionDecl, ModuleDecl } from '../../lib/core/module.ts';
import { axon, axonModule } from '../../lib/matrix/module.ts';
import { consumerReadActions, dynamoReadActions, dynamoWriteActions, functionGrants, serviceGrants, streamReadActions } from '../../lib/stacks/grants.ts';
import { chat } from '../fixtures/stacks/module.ts';
import { resourcesOfType, synthesize, type Synthesized } from './synth.ts';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, string | string[]>>;
}

const list = <T>(value: T | T[]) => (Array.isArray(value) ? value : [value]);

/** The statements of the inline policies attached to a function's role. */
function statementsOf(synth: Synthesized, fn: string): Statement[] {
  const role = synth.stack.functions.fn(fn).role!;
  const roleId = synth.logicalId(role);
  return Object.values(resourcesOfType(synth.template, 'AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties?.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((p) => (p.Properties?.PolicyDocument as { Statement: Statement[] }).Statement);
}

function leadingKeys(statements: Statement[], actions: string[]): string[] {
  const matching = statements.filter((s) => JSON.stringify(list(s.Action)) === JSON.stringify(actions));
  return matching.flatMap((s) => list(s.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] ?? []));
}

describe('grants derived from the declaration', () => {
  it('reads the declared PStates, and acks when the function appends', () => {
    expect(functionGrants(chat, 'send')).toEqual({ readKeys: ['$ack#*', 'rooms#*'], writeKeys: [], appends: ['messages'], pushes: false, notifies: [], blobs: false, deletesBlobs: false });
  });

  it('lets topologies record acks and checkpoints besides their PStates, and read what they write', () => {
    expect(functionGrants(chat, 'materialize')).toEqual({
      // A commit reads the items it writes first (conditions, counts): writes imply reads.
      readKeys: ['$ack#*', '$checkpoint#*', 'rooms#*', 'timeline#*'],
      writeKeys: ['$ack#*', '$checkpoint#*', 'rooms#*', 'timeline#*'],
      appends: [],
      pushes: true,
      notifies: [],
      blobs: false,
      deletesBlobs: false,
    });
  });

  it('lets a function that notifies a service read its instances, forget gone ones and post to them', () => {
    const grants = functionGrants(axon, 'roomsTopology');
    expect(grants.notifies).toEqual(['sync']);
    expect(grants.pushes).toBe(true);
    expect(grants.readKeys).toContain('$svc#*');
    expect(grants.writeKeys).toContain('$svc#*');
    // $connect claims an instance's registration; other functions never touch them.
    expect(functionGrants(axon, 'wsConnect').writeKeys).toContain('$svc#*');
    expect(functionGrants(axon, 'roomEvents').readKeys).not.toContain('$svc#*');
  });

  it("derives a service's task grants from its declared access, plus its own registrations", () => {
    const fn = functionGrants(axon, 'sync');
    const service = serviceGrants(axon, 'sync');
    // Its registrations are written, so read too (writes imply reads).
    expect(service.readKeys).toEqual([...fn.readKeys, '$svc#*'].sort());
    expect(service.writeKeys).toEqual([...fn.writeKeys, '$svc#*'].sort());
    expect(service.appends).toEqual(fn.appends);
  });

  it("grants the users depot's dispatcher (enhanced fan-out off) everything each topology it runs is granted", () => {
    const standard = axonModule({ enhancedFanOut: false });
    const dispatcher = functionGrants(standard, 'usersDepotTopology');
    const replaced = axon.topologies.filter((t) => t.depot === 'users').map((t) => t.function);
    expect(replaced.length).toBeGreaterThan(2);
    for (const fn of replaced) {
      const own = functionGrants(axon, fn);
      for (const [kind, granted] of Object.entries(own) as [keyof typeof own, (typeof own)[keyof typeof own]][]) {
        if (Array.isArray(granted)) expect(dispatcher[kind], `${fn} ${kind}`).toEqual(expect.arrayContaining(granted));
        else if (granted === true) expect(dispatcher[kind], `${fn} ${kind}`).toBe(true);
      }
    }
  });

  it('gives a function that declares nothing nothing', () => {
    expect(functionGrants(chat, 'fallback')).toEqual({ readKeys: [], writeKeys: [], appends: [], pushes: false, notifies: [], blobs: false, deletesBlobs: false });
  });
});

const modules: [string, ModuleDecl][] = [
  ['axon', axon],
  ['chat fixture', chat],
];

describe.each(modules)('IAM policies of the %s module', (_label, module) => {
  const synth = synthesize(module);
  const tableId = synth.logicalId(synth.stack.table.table);

  it('restricts table access to the leading keys each function declared', () => {
    for (const name of Object.keys(module.functions)) {
      // The stack runs no service (the default): nothing notifies one.
      const grants = functionGrants(module, name, []);
      const statements = statementsOf(synth, name);
      expect(leadingKeys(statements, dynamoReadActions).sort(), `${name} reads`).toEqual(grants.readKeys);
      expect(leadingKeys(statements, dynamoWriteActions).sort(), `${name} writes`).toEqual(grants.writeKeys);
    }
  });

  it('never grants DynamoDB on a wildcard, on another resource than the table, or without a leading-key condition', () => {
    const statements = Object.values(resourcesOfType(synth.template, 'AWS::IAM::Policy')).flatMap(
      (p) => (p.Properties?.PolicyDocument as { Statement: Statement[] }).Statement,
    );
    const dynamo = statements.filter((s) => list(s.Action).some((a) => a.startsWith('dynamodb:')));
    for (const s of dynamo) {
      expect(list(s.Action).every((a) => !a.includes('*'))).toBe(true);
      expect(s.Resource).toEqual({ 'Fn::GetAtt': [tableId, 'Arn'] });
      expect(s.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys']).toBeDefined();
    }
  });

  it('lets appenders put records on their depots only, and only pushers manage connections', () => {
    for (const [name, decl] of Object.entries(module.functions) as [string, FunctionDecl][]) {
      const statements = statementsOf(synth, name);
      const puts = statements.filter((s) => list(s.Action).includes('kinesis:PutRecord'));
      const expected = (decl.access?.appends ?? []).map((d) => ({ 'Fn::GetAtt': [synth.logicalId(synth.stack.depots.stream(d.name)), 'Arn'] }));
      expect(puts.flatMap((s) => list(s.Resource)), `${name} appends`).toEqual(expected);
      const manages = statements.some((s) => list(s.Action).includes('execute-api:ManageConnections'));
      expect(manages, `${name} pushes`).toBe(decl.access?.pushes === true);
    }
  });

  it("lets each topology's function read its depot's stream for its mapping, and its enhanced fan-out consumer", () => {
    for (const name of Object.keys(module.functions)) {
      const statements = statementsOf(synth, name);
      const topologies = module.topologies.filter((t) => t.function === name);
      const reads = statements.filter((s) => list(s.Action).includes('kinesis:GetRecords'));
      const streams = [...new Set(topologies.map((t) => t.depot))].sort().map((d) => ({ 'Fn::GetAtt': [synth.logicalId(synth.stack.depots.stream(d)), 'Arn'] }));
      expect(reads.flatMap((s) => list(s.Resource)), `${name} reads streams`).toEqual(streams);
      for (const s of reads) expect(list(s.Action)).toEqual(streamReadActions);
      const subscribes = statements.filter((s) => list(s.Action).includes('kinesis:SubscribeToShard'));
      const consumers = topologies.filter((t) => t.consumer === 'enhanced').map((t) => ({ 'Fn::GetAtt': [synth.logicalId(synth.stack.depots.consumer(t.name)), 'ConsumerARN'] }));
      expect(subscribes.flatMap((s) => list(s.Resource)), `${name} subscribes`).toEqual(consumers);
      for (const s of subscribes) expect(list(s.Action)).toEqual(consumerReadActions);
    }
  });

  it('uses no AWS managed policies (each role writes only to its own log group)', () => {
    for (const role of Object.values(resourcesOfType(synth.template, 'AWS::IAM::Role'))) {
      expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
    }
  });
});
