// IAM policy evaluation for the subset of IAM Axon's stack uses, so the local runtime can refuse
// what AWS would: Allow statements (and Deny, which wins), actions and resources with `*` and `?`
// wildcards, and the condition operators below. Anything else in a policy is an error rather than
// a guess. Rules: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
// and https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
import type { GrantStatement } from '../../stacks/grants.ts';

export interface PolicyStatement extends GrantStatement {
  effect?: 'Allow' | 'Deny';
}

/** One authorization IAM makes for a request: an action on a resource, with its context keys. */
export interface AuthorizationRequest {
  action: string;
  resource: string;
  /** Context keys, each single- or multi-valued (e.g. `dynamodb:LeadingKeys`). */
  context?: Record<string, readonly string[]>;
}

/**
 * IAM's wildcards: `*` any run of characters (including `:` and `/`), `?` one character. Several
 * patterns become one alternation, so a value is tested once however many patterns a statement
 * lists (a topology's leading keys are dozens, and a BatchGetItem asks for up to 100 keys).
 */
function wildcards(patterns: readonly string[], caseInsensitive: boolean): RegExp {
  const body = patterns.map((p) => p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')).join('|');
  return new RegExp(`^(?:${body})$`, caseInsensitive ? 'is' : 's');
}

type Test = (request: AuthorizationRequest) => boolean;

/** Condition operators (`[ForAllValues:|ForAnyValue:]<operator>`) this evaluator implements. */
const operators: Record<string, (patterns: string[]) => (value: string) => boolean> = {
  StringEquals: (patterns) => (value) => patterns.includes(value),
  StringLike: (patterns) => {
    const re = wildcards(patterns, false);
    return (value) => re.test(value);
  },
};

function conditionTest(qualifiedOperator: string, key: string, patterns: string[]): Test {
  const [qualifier, operator] = qualifiedOperator.includes(':') ? qualifiedOperator.split(':', 2) : [undefined, qualifiedOperator];
  const make = operators[operator!];
  if (!make) throw new Error(`condition operator ${qualifiedOperator} is not supported by the local policy evaluator`);
  const matches = make(patterns);
  return (request) => {
    const values = request.context?.[key];
    switch (qualifier) {
      // True when every value matches, so also for a missing or empty key (IAM's documented quirk).
      case 'ForAllValues':
        return (values ?? []).every(matches);
      case 'ForAnyValue':
        return (values ?? []).some(matches);
      case undefined:
        return values !== undefined && values.length === 1 && matches(values[0]!);
      default:
        throw new Error(`condition qualifier ${qualifier} is not supported by the local policy evaluator`);
    }
  };
}

interface CompiledStatement {
  effect: 'Allow' | 'Deny';
  applies: Test;
}

function compile(statement: PolicyStatement): CompiledStatement {
  const actions = wildcards(statement.actions, true);
  const resources = wildcards(statement.resources, false);
  const conditions = Object.entries(statement.conditions ?? {}).flatMap(([operator, keys]) =>
    Object.entries(keys).map(([key, patterns]) => conditionTest(operator, key, patterns)),
  );
  return {
    effect: statement.effect ?? 'Allow',
    applies: (request) =>
      actions.test(request.action) &&
      resources.test(request.resource) &&
      conditions.every((test) => test(request)),
  };
}

export type Decision = 'allowed' | 'implicitDeny' | 'explicitDeny';

/** A policy compiled once, evaluated per request: an explicit Deny wins, then any Allow, else an implicit deny. */
export function compilePolicy(statements: readonly PolicyStatement[]): (request: AuthorizationRequest) => Decision {
  const compiled = statements.map(compile);
  return (request) => {
    if (compiled.some((s) => s.effect === 'Deny' && s.applies(request))) return 'explicitDeny';
    return compiled.some((s) => s.effect === 'Allow' && s.applies(request)) ? 'allowed' : 'implicitDeny';
  };
}
