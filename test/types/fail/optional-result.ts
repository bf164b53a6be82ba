// expect-error TS2322: a header may be absent, so the result is string | undefined.
import type { Kong } from '../../../pdk/index.ts';

export async function wrong(kong: Kong): Promise<string> {
  const value: string = await kong.request.getHeader('host');
  return value;
}
