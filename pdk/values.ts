/**
 * Value types shared by several PDK namespaces: JSON values, header and
 * query maps as the bindings accept them.
 *
 * @module
 */

/** A JSON value, as Kong's `cjson` encodes it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/**
 * One header value to set. Kong turns numbers and booleans into text; an
 * array sends the header once per element (array elements must be strings,
 * Kong rejects anything else).
 */
export type HeaderValue = string | number | boolean | readonly string[];

/** Headers to set: one value or several string values per name. */
export type HeaderMap = Readonly<Record<string, HeaderValue>>;

/**
 * Query arguments to set (`kong.service.request.set_query`, form bodies): a
 * string value, `true` for a flag without a value (`?debug`), or an array of
 * those for a repeated argument.
 */
export type QueryArgs = Readonly<Record<string, string | boolean | readonly (string | boolean)[]>>;

/** A header or query multi-map as it comes back: every name with all its values. */
export type MultiMap = Record<string, string[]>;
