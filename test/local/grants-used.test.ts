// Every access a function or service declares is used, on Axon's default deployment shape: the
// sync service serves /sync, and the latency-critical topologies read with enhanced fan-out
// (test/local/grants-used-suite.ts). test/local/grants.test.ts shows a removed grant failing.
import { axon } from '../../lib/matrix/module.ts';
import { describeDeclaredAccessInUse } from './grants-used-suite.ts';

describeDeclaredAccessInUse({
  label: 'the sync service, enhanced fan-out',
  module: axon,
  sync: 'service',
});
