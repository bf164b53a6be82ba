/**
 * response-transform: rewrites the Service's response in the `response`
 * phase. Having a `response` method makes Kong buffer the whole response
 * (buffered proxying), so the plugin reads it with `kong.service.response`
 * and, when it changes the JSON body, sends the new one with
 * `kong.response.exit`, which Kong allows in this phase. Headers are
 * changed with `kong.response`.
 *
 * A Service body labelled JSON that does not parse passes unchanged, on
 * every Kong: Kong 3.x answers `get_body` with nil, Kong 2.x reports its
 * error, which rejects with `PDK_CALL_FAILED` and is caught here.
 *
 *   node dist/examples/response-transform.js -dump
 *
 * @module
 */
import { Config, ErrorCodes, field, PdkError, serve, type Kong, type ResponseBody } from 'tspdk';

/** A body Kong could not decode (Kong 2.x reports why): left as it is. */
function undecodable(error: unknown): undefined {
  if (error instanceof PdkError && error.code === ErrorCodes.PdkCallFailed) return undefined;
  throw error;
}

export class ResponseTransform extends Config({
  add_headers: field.map(field.string(), { default: {}, description: 'Headers to set on the response to the client.' }),
  remove_headers: field.array(field.string(), { default: [], description: 'Headers to remove from the response to the client.' }),
  add_json: field.map(field.string({ len_min: 0 }), { default: {}, description: 'Fields to set in a JSON object body.' }),
  remove_json: field.array(field.string(), { default: [], description: 'Fields to remove from a JSON object body.' }),
  wrap_json: field.string({ description: 'Wrap a JSON body in an object under this key, e.g. "data".' }),
  only_status: field.array(field.integer({ between: [100, 599] }), {
    default: [200],
    description: 'Change JSON bodies only for these Service statuses.',
  }),
}) {
  async response(kong: Kong): Promise<void> {
    for (const name of this.remove_headers) await kong.response.clearHeader(name);
    if (Object.keys(this.add_headers).length > 0) await kong.response.setHeaders(this.add_headers);
    if (!this.#rewritesBody()) return;

    const status = await kong.service.response.getStatus();
    if (status === undefined || !this.only_status.includes(status)) return;
    const contentType = await kong.service.response.getHeader('Content-Type');
    if (contentType === undefined || !contentType.toLowerCase().includes('application/json')) return;
    const body = await kong.service.response.getBody('application/json').catch(undecodable);
    if (body === undefined) return;

    if (!Array.isArray(body)) {
      for (const name of this.remove_json) delete body[name];
      Object.assign(body, this.add_json);
    }
    const changed: ResponseBody = this.wrap_json === undefined ? body : { [this.wrap_json]: body };
    // An object body goes out as JSON, with Content-Type application/json; charset=utf-8.
    return kong.response.exit(status, changed);
  }

  #rewritesBody(): boolean {
    return this.remove_json.length > 0 || Object.keys(this.add_json).length > 0 || this.wrap_json !== undefined;
  }
}

export default serve(ResponseTransform, { name: 'response-transform-ts', version: '1.0.0', priority: 800 });
