// expect-error TS2554: set_target needs a host and a port.
import type { Kong } from '../../../pdk/index.ts';

export async function wrong(kong: Kong): Promise<void> {
  await kong.service.setTarget('10.0.0.1');
}
