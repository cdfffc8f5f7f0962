// Sync under concurrent writers through the sync service: the suite is sync-concurrency-suite.ts.
import { describeSyncConcurrency } from './sync-concurrency-suite.ts';

describeSyncConcurrency('service');
