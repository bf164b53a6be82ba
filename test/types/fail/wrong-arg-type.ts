// expect-error TS2345: a header name must be a string.
import type { Kong } from '../../../pdk/index.ts';

export async function wrong(kong: Kong): Promise<void> {
  await kong.request.getHeader(42);
}
