/**
 * kill -9 under load and restart, 6 rounds (both recoveries, three times
 * each): the fast representative in `npm test` of restart.slow.test.ts
 * (restart-suite.ts says what it checks).
 */
import { describeRestarts } from './restart-suite.ts';

describeRestarts(6);
