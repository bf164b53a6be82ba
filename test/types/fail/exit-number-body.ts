// expect-error TS2345: an exit body is text, bytes or a JSON object or array.
import type { Kong } from '../../../pdk/index.ts';

export async function wrong(kong: Kong): Promise<void> {
  await kong.response.exit(200, 42);
}
