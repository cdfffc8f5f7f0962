// Room configs (timeline_limit, required_state) as MSC4186 combines them: a room matched by several
// lists and subscriptions gets the largest timeline_limit and the union of their required_state
// (each config's excludes apply to its own includes, as the MSC's option a). Pure.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical-json.ts';
import type { RequiredState, RoomConfig, StatePattern } from './request.ts';

/** The configs of one room, combined. */
export interface EffectiveConfig {
  timelineLimit: number;
  requiredStates: RequiredState[];
}

export function combineConfigs(configs: readonly RoomConfig[]): EffectiveConfig {
  return {
    timelineLimit: Math.max(0, ...configs.map((c) => c.timelineLimit)),
    requiredStates: configs.map((c) => c.requiredState),
  };
}

/**
 * What identifies a config for the connection (a room sent with another one is sent anew, initial):
 * a digest, so the connection state stays small whatever the size of the configs.
 */
export function configKey(config: EffectiveConfig): string {
  const states = [...new Set(config.requiredStates.map((s) => canonicalJson(s)))].sort();
  return createHash('sha256').update(canonicalJson([config.timelineLimit, states])).digest('base64url').slice(0, 16);
}

function matches(pattern: StatePattern, type: string, stateKey: string, userId: string): boolean {
  if (pattern.type !== undefined && pattern.type !== type) return false;
  if (pattern.stateKey === undefined) return true;
  return (pattern.stateKey === '$ME' ? userId : pattern.stateKey) === stateKey;
}

/** Whether the room's (type, state key) is required by the combined config. */
export function isRequired(config: EffectiveConfig, type: string, stateKey: string, userId: string): boolean {
  return config.requiredStates.some(
    (s) => s.include.some((p) => matches(p, type, stateKey, userId)) && !s.exclude.some((p) => matches(p, type, stateKey, userId)),
  );
}

export function wantsLazyMembers(config: EffectiveConfig): boolean {
  return config.requiredStates.some((s) => s.lazyMembers);
}

/**
 * The exact (type, state key) pairs required, when every include names both (read with one
 * BatchGet); undefined when some include is a wildcard (the room's state is read by range).
 */
export function exactKeys(config: EffectiveConfig, userId: string): [string, string][] | undefined {
  const out: [string, string][] = [];
  for (const state of config.requiredStates) {
    for (const p of state.include) {
      if (p.type === undefined || p.stateKey === undefined) return undefined;
      out.push([p.type, p.stateKey === '$ME' ? userId : p.stateKey]);
    }
  }
  return out;
}
