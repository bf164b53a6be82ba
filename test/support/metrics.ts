/**
 * Reading `/metrics` in tests: a real HTTP request, and the samples of the
 * Prometheus text format by name and labels.
 */
import assert from 'node:assert/strict';

/** Fetches the text of `url` (a `/metrics` URL), checking the status and content type. */
export async function scrape(url: string): Promise<string> {
  const response = await fetch(url);
  assert.equal(response.status, 200, `GET ${url}`);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return response.text();
}

/** Every sample of the text: `name{labels}` (labels sorted) → value. */
export function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match !== null, `not a sample line: ${line}`);
    const labels = [...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => `${m[1]}="${m[2]}"`).sort();
    const key = `${match[1]}{${labels.join(',')}}`;
    assert.ok(!out.has(key), `the sample ${key} appears twice`);
    out.set(key, Number(match[3]));
  }
  return out;
}

/** The value of sample `name` with exactly `labels`, or `undefined` when absent. */
export function sample(all: Map<string, number>, name: string, labels: Record<string, string> = {}): number | undefined {
  const key = `${name}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).sort().join(',')}}`;
  return all.get(key);
}
