/**
 * Load with 1,000 concurrent connections and 10,000 events in flight
 * (load-suite.ts says what it checks). `npm run test:full` only.
 */
import { describeLoad } from './load-suite.ts';

describeLoad(1000);
