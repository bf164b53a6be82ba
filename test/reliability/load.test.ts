/**
 * Load with 100 connections and 1,000 events in flight: the fast
 * representative in `npm test` of load.slow.test.ts (load-suite.ts says what
 * it checks).
 */
import { describeLoad } from './load-suite.ts';

describeLoad(100);
