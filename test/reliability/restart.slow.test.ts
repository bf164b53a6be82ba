/**
 * kill -9 under load and restart, 100 rounds (restart-suite.ts says what it
 * checks). `npm run test:full` only.
 */
import { describeRestarts } from './restart-suite.ts';

describeRestarts(100);
