// Per-user data: capabilities, account data and room tags, filters, push rules; and the topology
// that applies their writes from the users depot (beside the accounts topology, own kinds only).
import type { ModuleFragment } from '../../core/module.ts';
import { syncNeededPushAccess, userDataTopologySyncAccess } from './sync.ts';
import { depots } from '../depots.ts';
import { accessTokens, accountData, filters, pushRules } from '../pstates.ts';

const v3 = '/_matrix/client/v3';
const auth = [accessTokens];

export const userDataRoutes = {
  functions: {
    capabilities: {
      entry: 'functions/http/capabilities.ts',
      description: 'Server capabilities',
      access: { reads: auth },
    },
    accountData: {
      entry: 'functions/http/account-data.ts',
      description: 'Account data and room tags',
      access: { reads: [...auth, accountData], appends: [depots.users] },
    },
    filters: {
      entry: 'functions/http/filters.ts',
      description: 'Filter upload and download',
      access: { reads: [...auth, filters], appends: [depots.users] },
    },
    pushRules: {
      entry: 'functions/http/push-rules.ts',
      description: 'Push rules',
      access: { reads: [...auth, pushRules], appends: [depots.users] },
    },
    userDataTopology: {
      entry: 'functions/streams/user-data.ts',
      description: 'Applies account data, tag, filter and push rule commands from the users depot',
      access: {
        reads: [accountData, filters, pushRules, ...userDataTopologySyncAccess.reads, ...syncNeededPushAccess.reads],
        writes: [accountData, filters, pushRules, ...userDataTopologySyncAccess.writes, ...syncNeededPushAccess.writes],
        pushes: syncNeededPushAccess.pushes,
        notifies: userDataTopologySyncAccess.notifies,
      },
    },
  },
  routes: [
    { method: 'GET', path: `${v3}/capabilities`, function: 'capabilities', operation: 'getCapabilities' },

    { method: 'GET', path: `${v3}/user/{userId}/account_data/{type}`, function: 'accountData', operation: 'getAccountData' },
    { method: 'PUT', path: `${v3}/user/{userId}/account_data/{type}`, function: 'accountData', operation: 'setAccountData' },
    { method: 'GET', path: `${v3}/user/{userId}/rooms/{roomId}/account_data/{type}`, function: 'accountData', operation: 'getAccountDataPerRoom' },
    { method: 'PUT', path: `${v3}/user/{userId}/rooms/{roomId}/account_data/{type}`, function: 'accountData', operation: 'setAccountDataPerRoom' },
    { method: 'GET', path: `${v3}/user/{userId}/rooms/{roomId}/tags`, function: 'accountData', operation: 'getRoomTags' },
    { method: 'PUT', path: `${v3}/user/{userId}/rooms/{roomId}/tags/{tag}`, function: 'accountData', operation: 'setRoomTag' },
    { method: 'DELETE', path: `${v3}/user/{userId}/rooms/{roomId}/tags/{tag}`, function: 'accountData', operation: 'deleteRoomTag' },

    { method: 'POST', path: `${v3}/user/{userId}/filter`, function: 'filters', operation: 'defineFilter' },
    { method: 'GET', path: `${v3}/user/{userId}/filter/{filterId}`, function: 'filters', operation: 'getFilter' },

    // The spec's paths end with a slash (`/pushrules/`, `/pushrules/global/`), which API Gateway
    // routes cannot: they are declared without it.
    { method: 'GET', path: `${v3}/pushrules`, function: 'pushRules', operation: 'getPushRules' },
    { method: 'GET', path: `${v3}/pushrules/global`, function: 'pushRules', operation: 'getPushRulesGlobal' },
    { method: 'GET', path: `${v3}/pushrules/global/{kind}/{ruleId}`, function: 'pushRules', operation: 'getPushRule' },
    { method: 'PUT', path: `${v3}/pushrules/global/{kind}/{ruleId}`, function: 'pushRules', operation: 'setPushRule' },
    { method: 'DELETE', path: `${v3}/pushrules/global/{kind}/{ruleId}`, function: 'pushRules', operation: 'deletePushRule' },
    { method: 'GET', path: `${v3}/pushrules/global/{kind}/{ruleId}/enabled`, function: 'pushRules', operation: 'isPushRuleEnabled' },
    { method: 'PUT', path: `${v3}/pushrules/global/{kind}/{ruleId}/enabled`, function: 'pushRules', operation: 'setPushRuleEnabled' },
    { method: 'GET', path: `${v3}/pushrules/global/{kind}/{ruleId}/actions`, function: 'pushRules', operation: 'getPushRuleActions' },
    { method: 'PUT', path: `${v3}/pushrules/global/{kind}/{ruleId}/actions`, function: 'pushRules', operation: 'setPushRuleActions' },
  ],
  topologies: [
    { name: 'userData', kind: 'stream', depot: 'users', function: 'userDataTopology', batchSize: 100, batchingWindowMs: 0, maxRetries: 10, parallelization: 8, consumer: 'enhanced' },
  ],
} satisfies ModuleFragment;
