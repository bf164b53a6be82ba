/**
 * The 32 MB case without sockets: a `plugin.Step` carrying a raw body, fed to
 * tspdk's framer in 64 KB reads (what a Unix socket delivers) and decoded.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { MessageDecoder } from '../server/wire/codec.ts';
import { Framer } from '../server/wire/framer.ts';
import { LuaPacker } from '../testing/host/lua-msgpack.ts';

/** Median over 5 runs of framing and decoding one Step of `size` body bytes, in ms. */
export function inProcessBodyDecode(size: number): { bytes: number; medianMs: number } {
  const bodyBytes = new Uint8Array(size).fill(0xff);
  const message = new LuaPacker().request(7, 'plugin.Step', { EventId: 1, Data: bodyBytes });
  const times: number[] = [];
  let sink = 0;
  for (let run = 0; run < 5; run++) {
    const framer = new Framer();
    const decoder = new MessageDecoder();
    const start = performance.now();
    for (let at = 0; at < message.length; at += 65536) {
      framer.push(message.subarray(at, at + 65536), (bytes, invalid) => {
        const decoded = decoder.decode(bytes, invalid) as [number, number, string, [{ Data: Uint8Array }]];
        sink += decoded[3][0].Data.length;
      });
    }
    times.push(performance.now() - start);
  }
  if (sink !== size * 5) throw new Error('body lost');
  times.sort((a, b) => a - b);
  return { bytes: size, medianMs: times[2] as number };
}
