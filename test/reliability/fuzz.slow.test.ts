/**
 * Hostile wire input over live sockets, in full: more than 100,000 frames
 * over about 2,500 connections (fuzz-suite.ts says what it checks).
 * `npm run test:full` only.
 */
import { describeFuzz } from './fuzz-suite.ts';

describeFuzz({ cleanConnections: 14, cleanFrames: 1000, dirtyConnections: 2400, minFrames: 100_000, minControl: 11 });
