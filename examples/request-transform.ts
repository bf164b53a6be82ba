/**
 * request-transform: changes the request on its way to the Service: headers
 * added, renamed or removed, query arguments added or removed, the path
 * replaced, and fields added to or removed from a JSON body.
 *
 * A body labelled JSON that does not parse passes unchanged, on every Kong:
 * Kong 3.x answers `get_body` with nil, Kong 2.x reports its error, which
 * rejects with `PDK_CALL_FAILED` and is caught here.
 *
 *   node dist/examples/request-transform.js -dump
 *
 * @module
 */
import { Config, ErrorCodes, field, PdkError, serve, type Kong } from 'tspdk';

const headerName = field.string({ match: '^[%w!#$%%&\'*+.^_`|~-]+$' });

/** A body Kong could not decode (Kong 2.x reports why): treated as no JSON body. */
function undecodable(error: unknown): undefined {
  if (error instanceof PdkError && error.code === ErrorCodes.PdkCallFailed) return undefined;
  throw error;
}

export class RequestTransform extends Config({
  add_headers: field.map(field.string(), { default: {}, description: 'Headers to set on the service request (replacing any value).' }),
  rename_headers: field.map(headerName, { default: {}, description: 'Headers to rename: old name to new name.' }),
  remove_headers: field.array(headerName, { default: [], description: 'Headers to remove from the service request.' }),
  add_query: field.map(field.string({ len_min: 0 }), { default: {}, description: 'Query arguments to set (replacing any value).' }),
  remove_query: field.array(field.string(), { default: [], description: 'Query arguments to remove.' }),
  replace_path: field.string({ starts_with: '/', description: 'A new path for the service request.' }),
  add_json: field.map(field.string({ len_min: 0 }), { default: {}, description: 'Fields to set in a JSON object body.' }),
  remove_json: field.array(field.string(), { default: [], description: 'Fields to remove from a JSON object body.' }),
}) {
  async access(kong: Kong): Promise<void> {
    await this.#headers(kong);
    await this.#query(kong);
    if (this.replace_path !== undefined) await kong.service.request.setPath(this.replace_path);
    await this.#body(kong);
  }

  async #headers(kong: Kong): Promise<void> {
    for (const [from, to] of Object.entries(this.rename_headers)) {
      const value = await kong.request.getHeader(from);
      if (value === undefined) continue;
      await kong.service.request.clearHeader(from);
      await kong.service.request.setHeader(to, value);
    }
    for (const name of this.remove_headers) await kong.service.request.clearHeader(name);
    if (Object.keys(this.add_headers).length > 0) await kong.service.request.setHeaders(this.add_headers);
  }

  async #query(kong: Kong): Promise<void> {
    if (this.remove_query.length === 0 && Object.keys(this.add_query).length === 0) return;
    const query: Record<string, string | string[]> = await kong.request.getQuery();
    for (const name of this.remove_query) delete query[name];
    Object.assign(query, this.add_query);
    await kong.service.request.setQuery(query);
  }

  async #body(kong: Kong): Promise<void> {
    if (this.remove_json.length === 0 && Object.keys(this.add_json).length === 0) return;
    const contentType = await kong.request.getHeader('Content-Type');
    if (contentType === undefined || !contentType.toLowerCase().includes('application/json')) return;
    const body = await kong.request.getBody('application/json').catch(undecodable);
    if (body === undefined || Array.isArray(body)) return;
    for (const name of this.remove_json) delete body[name];
    Object.assign(body, this.add_json);
    await kong.service.request.setBody(body, 'application/json');
  }
}

export default serve(RequestTransform, { name: 'request-transform-ts', version: '1.0.0', priority: 801 });
