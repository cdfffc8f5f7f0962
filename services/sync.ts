// The sync service: GET /sync served by a long-lived process holding many waiting long-polls at
// once, woken by notices (lib/matrix/sync/service/). Enabled on AWS with `-c syncService=fargate`
// (an ECS service on Fargate behind the HTTP API's sync route), always in `npm start`.
import { sharedReads } from '../lib/core/pstate/index.ts';
import type { ServiceDefinition } from '../lib/http/service-host.ts';
import { axon } from '../lib/matrix/module.ts';
import { matrixHooks } from '../lib/matrix/routes/operation.ts';
import { SYNC_SERVICE, wokenBy } from '../lib/matrix/sync/notices.ts';
import { syncOperation } from '../lib/matrix/sync/operation.ts';
import { WaitingPolls } from '../lib/matrix/sync/service/waiting-polls.ts';

/** A fresh instance of the service (each process, or each local runtime, runs one). */
export function service(): ServiceDefinition {
  const polls = new WaitingPolls();
  // The item reads of polls served together coalesce (lib/core/pstate/shared-reads.ts): the next
  // polls of many users woken by one message read their tokens, presence and filters in a few
  // BatchGetItems. The scope wraps the whole request, the HTTP layer's token read included.
  // Nothing is shared between requests.
  const reads = sharedReads([], { coalesce: true });
  return {
    name: SYNC_SERVICE,
    module: axon,
    operations: { sync: syncOperation(polls.wait) },
    around: (serve) => reads.run(serve),
    hooks: matrixHooks,
    onNotice: (data) => polls.wakeUsers(wokenBy(data)),
    onConnected: (connected) => polls.setConnected(connected),
    openRequests: () => polls.open(),
    drain: () => polls.drain(),
  };
}
