// expect-error TS2345: set_method takes an upper-case method nginx can proxy.
import type { Kong } from '../../../pdk/index.ts';

export async function wrong(kong: Kong): Promise<void> {
  await kong.service.request.setMethod('get');
}
