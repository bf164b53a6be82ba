// expect-error TS2345: set_client_verify takes SUCCESS, NONE or FAILED:<reason>.
import type { Kong } from '../../../pdk/index.ts';

export async function wrong(kong: Kong): Promise<void> {
  await kong.client.tls.setClientVerify('OK');
}
