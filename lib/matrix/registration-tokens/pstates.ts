// The registration tokens PState (m.login.registration_token, spec v1.2): written by the users
// topology from the users depot (lib/matrix/registration-tokens/apply.ts), read by /register, its
// validity endpoint and the admin API.
import { map, number, pstate, record, string } from '../../core/pstate/index.ts';

/**
 * ALL_TOKENS → token → its limits and counts. One partition holds them all so that the admin API
 * can list them (tokens are few: an operator hands them out). Absent `usesAllowed` / `expiryTime`
 * mean unlimited / never (Synapse's nulls). `pending` stays 0: a token stage completes in the
 * request that registers (lib/matrix/accounts/uia.ts), so no use is ever in flight between requests.
 */
export const registrationTokens = pstate(
  'registrationTokens',
  map(
    string(),
    map(string(), record({ usesAllowed: number(), pending: number(), completed: number(), expiryTime: number(), createdTs: number() })).subindexed(),
  ),
);

export const ALL_TOKENS = 'all';

export const registrationTokenPStates = [registrationTokens] as const;
