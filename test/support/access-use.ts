// Which declared access is used: the local runtime tells of every AWS request a function's grants
// allowed (onAuthorized), and a function's declared access is checked against what its requests
// touched. An access no allowed request used could be removed without any local request failing,
// so either the declaration is too broad or a scenario misses the path that needs it.
import type { Access, FunctionDecl, ModuleDecl } from '../../lib/core/module.ts';
import type { AuthorizationRequest } from '../../lib/local/iam/policy.ts';
import { internalPrefixes } from '../../lib/core/table-writes.ts';
import { dynamoReadActions, dynamoWriteActions } from '../../lib/stacks/grants.ts';

/** Actions only a write grant allows (ConditionCheckItem is allowed by a read grant too). */
const writeOnlyActions = dynamoWriteActions.filter((a) => !dynamoReadActions.includes(a));

/** Every request each function's grants allowed. */
export class AccessRecorder {
  readonly allowed = new Map<string, AuthorizationRequest[]>();

  private faults: { fn: string; match: (request: AuthorizationRequest) => boolean }[] = [];

  /**
   * The next allowed request of `fn` that `match`es fails instead of being sent, as if the
   * function had crashed just before it (the hook runs in the request's path, lib/local/iam).
   */
  crashBefore(fn: string, match: (request: AuthorizationRequest) => boolean): void {
    this.faults.push({ fn, match });
  }

  /** The runtime's `onAuthorized` hook. */
  readonly record = (fn: string, request: AuthorizationRequest): void => {
    const fault = this.faults.findIndex((f) => f.fn === fn && f.match(request));
    if (fault >= 0) {
      this.faults.splice(fault, 1);
      throw new Error(`${fn} crashed before ${request.action} (injected by the test)`);
    }
    let list = this.allowed.get(fn);
    if (!list) this.allowed.set(fn, (list = []));
    list.push(request);
  };

  /**
   * The declared accesses of `fn` no allowed request used, e.g. `reads users`, `appends rooms`,
   * `pushes`, `notifies sync`. A PState declared both read and written is checked as written (a
   * write grant lets it be read: lib/stacks/grants.ts).
   */
  unused(module: ModuleDecl, fn: string): string[] {
    // `pushes` grants every @connections method (posting frames, closing connections).
    const access: Access = (module.functions as Record<string, FunctionDecl>)[fn]!.access ?? {};
    const requests = this.allowed.get(fn) ?? [];
    const touches = (actions: readonly string[], key: (k: string) => boolean) =>
      requests.some((r) => actions.includes(r.action) && (r.context?.['dynamodb:LeadingKeys'] ?? []).some(key));
    const of = (pstate: string) => (k: string) => k.startsWith(`${pstate}#`);
    const written = new Set((access.writes ?? []).map((p) => p.name));
    const manages = requests.some((r) => r.action === 'execute-api:ManageConnections');
    return [
      ...(access.reads ?? []).filter((p) => !written.has(p.name) && !touches(dynamoReadActions, of(p.name))).map((p) => `reads ${p.name}`),
      ...(access.writes ?? []).filter((p) => !touches(writeOnlyActions, of(p.name))).map((p) => `writes ${p.name}`),
      ...(access.appends ?? []).filter((d) => !requests.some((r) => r.action.startsWith('kinesis:PutRecord') && r.resource.endsWith(`/${process.env.AXON_STREAM_PREFIX}-${d.name}`))).map((d) => `appends ${d.name}`),
      ...(access.pushes && !manages ? ['pushes'] : []),
      // Notifying reads the service's subscribed instances (lib/core/service/notices.ts) before posting to them.
      ...(access.notifies ?? []).filter((s) => !touches(dynamoReadActions, (k) => k === `${internalPrefixes.serviceInstance}#${s}`)).map((s) => `notifies ${s}`),
      ...(access.blobs && !requests.some((r) => r.action.startsWith('s3:')) ? ['blobs'] : []),
      ...(access.deletesBlobs && !requests.some((r) => r.action === 's3:DeleteObject') ? ['deletes blobs'] : []),
    ];
  }
}
