// expect-error TS2554: get_query_arg takes the argument's name (kong-js-pdk types it without one).
import type { Kong } from '../../../pdk/index.ts';

export async function wrong(kong: Kong): Promise<void> {
  await kong.request.getQueryArg();
}
