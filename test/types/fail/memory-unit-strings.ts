// expect-error TS2322: with a unit other than bytes Kong reports strings.
import type { Kong } from '../../../pdk/index.ts';

export async function wrong(kong: Kong): Promise<number | undefined> {
  const stats = await kong.node.getMemoryStats('k');
  const capacity: number | undefined = stats.lua_shared_dicts['kong']?.capacity;
  return capacity;
}
