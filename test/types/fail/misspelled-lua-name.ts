// expect-error TS2345: ask() only takes Lua names from the method table.
import { ask } from '../../../pdk/index.ts';
import type { Bridge } from '../../../pdk/index.ts';
import { requestMethods } from '../../../pdk/request.ts';

export async function wrong(bridge: Bridge): Promise<void> {
  await ask(bridge, requestMethods, 'kong.request.get_heder', 'host');
}
