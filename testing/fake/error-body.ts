/**
 * The body and content type `kong.response.error` sends: the format is the
 * `Content-Type` given in the headers (spelled exactly so, as Kong looks it
 * up), or else the best match of the client's `Accept` header, JSON by
 * default; the text is the message or Kong's default for the status, with
 * the request id.
 *
 * @module
 */
import { defaultErrorMessage } from '../../pdk/http-error-messages.ts';

const JSON_TYPE = 'application/json; charset=utf-8';

/** Full MIME types Kong answers with, per media type or top-level type. */
const MIME_TYPES: Readonly<Record<string, string>> = {
  'text/html': 'text/html; charset=utf-8',
  'application/json': JSON_TYPE,
  'text/plain': 'text/plain; charset=utf-8',
  'application/xml': 'application/xml; charset=utf-8',
  application: JSON_TYPE,
  text: 'text/plain; charset=utf-8',
};

function mimeTypeOf(mediaType: string): string | undefined {
  const [type, subtype] = mediaType.toLowerCase().split('/');
  if (type === undefined || subtype === undefined) return undefined;
  if (subtype === '*') return type === '*' ? JSON_TYPE : MIME_TYPES[type];
  return MIME_TYPES[`${type}/${subtype}`];
}

/** The response type Kong picks for an `Accept` header: the first entry with the highest quality that it knows. */
export function responseTypeFor(accept: string | undefined): string {
  let chosen = JSON_TYPE;
  if (accept === undefined) return chosen;
  let best = 0;
  for (const entry of accept.split(',')) {
    const [media, ...params] = entry.trim().split(';');
    if (media === undefined || !/^[\w!#$&^+.*-]+\/[\w!#$&^+.*-]+$/.test(media.trim())) continue;
    const q = params.map((p) => /^\s*q\s*=\s*([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    const quality = q === undefined ? 1 : Number(q);
    if (quality > best) {
      best = quality;
      chosen = mimeTypeOf(media.trim()) ?? chosen;
    }
  }
  return chosen;
}

/** Kong's error page for `contentType`, with `message` and `requestId` filled in (not escaped, as Kong does). */
export function errorBody(contentType: string, message: string, requestId: string): string {
  const type = contentType.split(';')[0]?.trim().toLowerCase();
  switch (type) {
    case 'text/html':
      return `<!doctype html>\n<html>\n  <head>\n    <meta charset="utf-8">\n    <title>Error</title>\n  </head>\n  <body>\n    <h1>Error</h1>\n    <p>${message}.</p>\n    <p>request_id: ${requestId}</p>\n  </body>\n</html>\n`;
    case 'text/plain':
      return `${message}\nrequest_id: ${requestId}\n`;
    case 'application/xml':
      return `<?xml version="1.0" encoding="UTF-8"?>\n<error>\n  <message>${message}</message>\n  <requestid>${requestId}</requestid>\n</error>\n`;
    default:
      return `{\n  "message":"${message}",\n  "request_id":"${requestId}"\n}`;
  }
}

/** The message for `kong.response.error(status)` without one. */
export { defaultErrorMessage };
