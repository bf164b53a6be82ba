/**
 * Finds a Lua interpreter and runs a generated `schema.lua` in it, returning
 * the table it yields as JSON (a tiny Lua JSON encoder, in Lua).
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CANDIDATES = ['luajit', 'lua5.1', 'lua', 'lua5.4', 'lua5.3', 'lua5.2'];

/** The first Lua interpreter on PATH, or `undefined`. */
export function findLua(): string | undefined {
  for (const cmd of CANDIDATES) {
    const r = spawnSync(cmd, ['-v'], { encoding: 'utf8' });
    if (r.error === undefined && r.status === 0) return cmd;
  }
  return undefined;
}

/** Encodes the table returned by the chunk in arg[1] as JSON; `ngx.null` becomes `{"$null":true}`. */
const ENCODER = String.raw`
local NULL = setmetatable({}, { __tostring = function() return "ngx.null" end })
ngx = { null = NULL }
require = nil
local chunk = assert(loadfile(arg[1]))
local ok, result = pcall(chunk)
if not ok then io.stderr:write(tostring(result)) os.exit(3) end
local enc
local function is_array(t)
  local n = 0
  for k in pairs(t) do
    if type(k) ~= "number" or k < 1 or k % 1 ~= 0 then return false end
    n = n + 1
  end
  for i = 1, n do if t[i] == nil then return false end end
  return true, n
end
local function str(s)
  return '"' .. (s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end)) .. '"'
end
enc = function(v)
  if v == NULL then return '{"$null":true}' end
  local t = type(v)
  if t == "string" then return str(v) end
  if t == "boolean" then return tostring(v) end
  if t == "number" then
    if v % 1 == 0 and v > -1e15 and v < 1e15 then return string.format("%d", v) end
    return string.format("%.17g", v)
  end
  if t ~= "table" then error("cannot encode a " .. t) end
  local arr, n = is_array(v)
  local parts = {}
  if arr then
    for i = 1, n do parts[i] = enc(v[i]) end
    return "[" .. table.concat(parts, ",") .. "]"
  end
  local keys = {}
  for k in pairs(v) do
    if type(k) ~= "string" then error("non-string key " .. tostring(k)) end
    keys[#keys + 1] = k
  end
  table.sort(keys)
  for i, k in ipairs(keys) do parts[i] = str(k) .. ":" .. enc(v[k]) end
  return "{" .. table.concat(parts, ",") .. "}"
end
io.write(enc(result))
`;

/** Runs `source` (a schema.lua) with `lua` and returns the decoded table. */
export function runLuaSchema(lua: string, source: string): unknown {
  const dir = mkdtempSync(join(tmpdir(), 'tspdk-lua-'));
  try {
    const schemaPath = join(dir, 'schema.lua');
    const encoderPath = join(dir, 'encode.lua');
    writeFileSync(schemaPath, source);
    writeFileSync(encoderPath, ENCODER);
    const r = spawnSync(lua, [encoderPath, schemaPath], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${lua} failed (${String(r.status)}): ${r.stderr}`);
    return JSON.parse(r.stdout) as unknown;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Replaces empty objects with empty arrays (Lua cannot tell them apart). */
export function normaliseEmpty(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normaliseEmpty);
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 0) return [];
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = normaliseEmpty((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}
