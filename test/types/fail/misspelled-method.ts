// expect-error TS2339: there is no getCookie (kong.request has no cookie function).
import type { Kong } from '../../../pdk/index.ts';

export async function wrong(kong: Kong): Promise<void> {
  await kong.request.getCookie('session');
}
