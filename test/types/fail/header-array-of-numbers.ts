// expect-error TS2322: Kong accepts only strings inside a header value list.
import type { Kong } from '../../../pdk/index.ts';

export async function wrong(kong: Kong): Promise<void> {
  await kong.response.setHeader('X-A', [1]);
}
