// What each function may touch, derived from the module declaration alone (no CDK here, so the
// derivation is testable on its own). The stack turns it into IAM statements.
import { internalPrefixes } from '../core/table-writes.ts';
import type { ModuleDecl } from '../core/module.ts';

export interface FunctionGrants {
  /** `dynamodb:LeadingKeys` patterns the function may read. */
  readKeys: string[];
  /** `dynamodb:LeadingKeys` patterns the function may write. */
  writeKeys: string[];
  /** Depots the function appends to. */
  appends: string[];
  /** Whether it posts to WebSocket connections. */
  pushes: boolean;
}

/** The leading-key pattern of every item of a PState (or core-internal prefix). */
export function leadingKeyPattern(prefix: string): string {
  return `${prefix}#*`;
}

const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

export function functionGrants(module: ModuleDecl, fn: string): FunctionGrants {
  const decl = (module.functions as Record<string, ModuleDecl['functions'][string] | undefined>)[fn];
  if (!decl) throw new Error(`module "${module.name}" has no function "${fn}"`);
  const access = decl.access ?? {};
  const reads = (access.reads ?? []).map((p) => leadingKeyPattern(p.name));
  const writes = (access.writes ?? []).map((p) => leadingKeyPattern(p.name));
  const appends = sorted((access.appends ?? []).map((d) => d.name));
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
  return { readKeys: sorted(reads), writeKeys: sorted(writes), appends, pushes: access.pushes === true };
}
