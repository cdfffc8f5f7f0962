// Sync under concurrent writers through the sync function (the Lambda route): the suite is sync-concurrency-suite.ts.
import { describeSyncConcurrency } from './sync-concurrency-suite.ts';

describeSyncConcurrency('lambda');
