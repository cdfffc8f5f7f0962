// Which declared access is used: the local runtime tells of every AWS request a function's grants
// allowed (onAuthorized), and a function's declared access is checked against what its requests
// touched. An access no allowed request used could be removed without any local request failing,
// so either the declaration is too broad or a scenario misses the path that needs it.
import type { Access, FunctionDecl, ModuleDecl } from '../../lib/core/module.ts';
import { servicePrincipalName } from '../../lib/local/iam/enforce.ts';
import type { AuthorizationRequest } from '../../lib/local/iam/policy.ts';
import { internalPrefixes } from '../../lib/core/table-writes.ts';
import { dynamoReadActions, dynamoWriteActions } from '../../lib/stacks/grants.ts';

/** Actions only a write grant allows (ConditionCheckItem is allowed by a read grant too). */
const writeOnlyActions = dynamoWriteActions.filter((a) => !dynamoReadActions.includes(a));

/** Every request each function's grants allowed. */
export class AccessRecorder {
  readonly allowed = new Map<string, AuthorizationRequest[]>();

  private faults: { fn: string; match: (request: AuthorizationRequest) => boolean }[] = [];
  private pauses: { fn: string; match: (request: AuthorizationRequest) => boolean; reached: () => void; released: Promise<void> }[] = [];

  /**
   * The next allowed request of `fn` that `match`es fails instead of being sent, as if the
   * function had crashed just before it (the hook runs in the request's path, lib/local/iam).
   */
  crashBefore(fn: string, match: (request: AuthorizationRequest) => boolean): void {
    this.faults.push({ fn, match });
  }

  /**
   * The next allowed request of `fn` that `match`es waits, before it is sent, until `release`:
   * `reached` resolves once it waits, so a test can make something happen in between.
   */
  pauseBefore(fn: string, match: (request: AuthorizationRequest) => boolean): { reached: Promise<void>; release(): void } {
    let reached!: () => void;
    let release!: () => void;
    const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
    this.pauses.push({ fn, match, reached, released: new Promise<void>((resolve) => (release = resolve)) });
    return { reached: reachedPromise, release };
  }

  /** The runtime's `onAuthorized` hook. */
  readonly record = (fn: string, request: AuthorizationRequest): Promise<void> | undefined => {
    const fault = this.faults.findIndex((f) => f.fn === fn && f.match(request));
    if (fault >= 0) {
      this.faults.splice(fault, 1);
      throw new Error(`${fn} crashed before ${request.action} (injected by the test)`);
    }
    let list = this.allowed.get(fn);
    if (!list) this.allowed.set(fn, (list = []));
    list.push(request);
    const pause = this.pauses.findIndex((p) => p.fn === fn && p.match(request));
    if (pause < 0) return undefined;
    const [{ reached, released }] = this.pauses.splice(pause, 1) as [(typeof this.pauses)[number]];
    reached();
    return released;
  };

  /**
   * The declared accesses of `fn` no allowed request used, e.g. `reads users`, `appends rooms`,
   * `pushes`, `notifies sync`. A PState declared both read and written is checked as written (a
   * write grant lets it be read: lib/stacks/grants.ts). `running`: the services the deployment runs.
   */
  unused(module: ModuleDecl, fn: string, running: readonly string[] = Object.keys(module.services ?? {})): string[] {
    const access = (module.functions as Record<string, FunctionDecl>)[fn]!.access ?? {};
    // Notices go only to services that run: the others are granted nothing (lib/stacks/grants.ts).
    return this.unusedOf(fn, { ...access, notifies: access.notifies?.filter((s) => running.includes(s)) });
  }

  /** The same for a service, whose requests are told as `service:<name>` (lib/local/iam). */
  unusedByService(module: ModuleDecl, service: string): string[] {
    return this.unusedOf(servicePrincipalName(service), module.services![service]!.access ?? {});
  }

  private unusedOf(fn: string, access: Access): string[] {
    // `pushes` grants every @connections method (posting frames, closing connections).
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
