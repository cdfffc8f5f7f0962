// Every access a function declares is used, on the other deployment shape: no sync service (the
// sync function serves /sync) and no enhanced fan-out (the users depot's topologies run behind one
// dispatching consumer, usersDepotTopology). The functions only this shape runs are checked here.
import { axonModule } from '../../lib/matrix/module.ts';
import { describeDeclaredAccessInUse } from './grants-used-suite.ts';

describeDeclaredAccessInUse({
  label: 'the sync function, standard consumers',
  module: axonModule({ enhancedFanOut: false }),
  sync: 'lambda',
});
