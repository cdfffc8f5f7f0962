// GET /sync through the sync service: the suite is sync-suite.ts.
import { describeSync } from './sync-suite.ts';

describeSync('service');
