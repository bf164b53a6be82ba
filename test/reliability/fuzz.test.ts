/**
 * Hostile wire input over live sockets, about 6,000 frames over 144
 * connections (a few seconds): the fast representative in `npm test` of
 * fuzz.slow.test.ts (fuzz-suite.ts says what it checks).
 */
import { describeFuzz } from './fuzz-suite.ts';

describeFuzz({ cleanConnections: 4, cleanFrames: 200, dirtyConnections: 120, minFrames: 5000, minControl: 1 });
