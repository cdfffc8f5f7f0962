// The users depot's one standard consumer when its topologies get no enhanced fan-out
// (`-c enhancedFanOut=false`): it runs the accounts, user-data, keys, pushers and submissions
// topologies on each batch, so the depot's shards serve one poller instead of five
// (lib/matrix/module.ts declares it; test/matrix/module-consumers.test.ts checks it serves them all).
import { dispatching } from '../../lib/core/topology/dispatch.ts';
import { handler as keys } from './keys.ts';
import { handler as pushers } from './pushers.ts';
import { handler as submissions } from './submissions.ts';
import { handler as userData } from './user-data.ts';
import { handler as users } from './users.ts';

export const handler = dispatching({ users, userData, keys, pushers, submissions });
