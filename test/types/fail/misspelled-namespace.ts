// expect-error TS2551: there is no kong.servce.
import type { Kong } from '../../../pdk/index.ts';

export async function wrong(kong: Kong): Promise<void> {
  await kong.servce.setRetries(3);
}
