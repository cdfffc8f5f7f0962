// GET /sync through the sync function (the Lambda route): the suite is sync-suite.ts.
import { describeSync } from './sync-suite.ts';

describeSync('lambda');
