// What each function may touch, derived from the module declaration alone (no CDK here, so the
// derivation is testable on its own). The stack turns it into IAM statements.
import { internalPrefixes } from '../core/table-writes.ts';
import type { Access, ModuleDecl } from '../core/module.ts';

export interface FunctionGrants {
  /** `dynamodb:LeadingKeys` patterns the function may read. */
  readKeys: string[];
  /** `dynamodb:LeadingKeys` patterns the function may write. */
  writeKeys: string[];
  /** Depots the function appends to. */
  appends: string[];
  /** Whether it posts to WebSocket connections. */
  pushes: boolean;
  /** Services whose instances it notifies (lib/core/service/notices.ts). */
  notifies: string[];
}

/** The leading-key pattern of every item of a PState (or core-internal prefix). */
export function leadingKeyPattern(prefix: string): string {
  return `${prefix}#*`;
}

const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

/** What declared access alone grants (a function's or a service's). */
function accessGrants(access: Access): { reads: string[]; writes: string[]; appends: string[]; notifies: string[] } {
  const reads = (access.reads ?? []).map((p) => leadingKeyPattern(p.name));
  const writes = (access.writes ?? []).map((p) => leadingKeyPattern(p.name));
  const notifies = sorted(access.notifies ?? []);
  if (notifies.length) {
    // Notifying reads the service's subscribed instances and forgets gone ones.
    reads.push(leadingKeyPattern(internalPrefixes.serviceInstance));
    writes.push(leadingKeyPattern(internalPrefixes.serviceInstance));
  }
  return { reads, writes, appends: sorted((access.appends ?? []).map((d) => d.name)), notifies };
}

export function functionGrants(module: ModuleDecl, fn: string): FunctionGrants {
  const decl = (module.functions as Record<string, ModuleDecl['functions'][string] | undefined>)[fn];
  if (!decl) throw new Error(`module "${module.name}" has no function "${fn}"`);
  const access = decl.access ?? {};
  const { reads, writes, appends, notifies } = accessGrants(access);
  if (appends.length) {
    // An append with ack waits for the topology's recorded outcome.
    reads.push(leadingKeyPattern(internalPrefixes.ack));
  }
  if (module.topologies.some((t) => t.function === fn)) {
    // Topologies record ack outcomes, and commit microbatch checkpoints (reading them back to
    // recognise a redelivered batch).
    writes.push(leadingKeyPattern(internalPrefixes.ack), leadingKeyPattern(internalPrefixes.checkpoint));
    reads.push(leadingKeyPattern(internalPrefixes.checkpoint));
  }
  if (Object.keys(module.services ?? {}).length && module.websocket.routes.some((r) => r.route === '$connect' && r.function === fn)) {
    // `$connect` claims a service instance's registration for its connection.
    reads.push(leadingKeyPattern(internalPrefixes.serviceInstance));
    writes.push(leadingKeyPattern(internalPrefixes.serviceInstance));
  }
  return { readKeys: sorted(reads), writeKeys: sorted(writes), appends, pushes: access.pushes === true || notifies.length > 0, notifies };
}

/** What a service's task may touch: its declared access, and its own registrations for notices. */
export function serviceGrants(module: ModuleDecl, service: string): FunctionGrants {
  const decl = module.services?.[service];
  if (!decl) throw new Error(`module "${module.name}" has no service "${service}"`);
  const { reads, writes, appends, notifies } = accessGrants(decl.access ?? {});
  if (appends.length) reads.push(leadingKeyPattern(internalPrefixes.ack));
  writes.push(leadingKeyPattern(internalPrefixes.serviceInstance));
  return { readKeys: sorted(reads), writeKeys: sorted(writes), appends, pushes: decl.access?.pushes === true || notifies.length > 0, notifies };
}
