/**
 * The hello plugin, tspdk's counterpart of go-pdk's go-hello: in the access
 * phase it greets the client through a response header.
 *
 *   node dist/examples/hello.js -dump
 *   node dist/examples/hello.js -kong-prefix /usr/local/kong
 */
import { Config, field, serve, type Kong } from 'tspdk';

export class Hello extends Config({
  message: field.string({ default: 'hello', description: 'The greeting' }),
}) {
  async access(kong: Kong): Promise<void> {
    const host = await kong.request.getHeader('host');
    await kong.response.setHeader('x-hello-from-typescript', `TypeScript says ${this.message} to ${host ?? 'nobody'}`);
  }
}

export default serve(Hello, { name: 'hello', version: '0.1.0', priority: 1 });
