/**
 * A tiny made-up Kong source tree for the generator's tests: the shapes the
 * generator reads (a module list in kong/pdk/init.lua, modules with a `new`
 * constructor, a plugin-server host with exposed_api, index_table and
 * call_pdk_method), in two versions: "old" (a 2.x-style host that passes
 * every return value on) and "new" (a 3.x-style host that keeps the first).
 */

/** kong/pdk files, by path. */
export function pdkFiles(version: 'old' | 'new'): Map<string, string> {
  const extra = version === 'new' ? '\n  function R.get_new(limit) return limit end' : '';
  return new Map([
    [
      'kong/pdk/init.lua',
      `local LIST = { "request", "response", "log" }
if ngx.config.subsystem == "http" then table.insert(LIST, "client.tls") end
local P = {}
function P.new() return P end
return P`,
    ],
    [
      'kong/pdk/request.lua',
      `local function new(self)
  local R = {}
  function R.get_a() return 1 end${extra}
  if ngx.config.subsystem == "stream" then
    R.stream_only = function() end
  end
  R.data = "not a function"
  return R
end
return { new = new }`,
    ],
    [
      'kong/pdk/log.lua',
      `local LEVELS = { info = 6, err = 4 }
local inner_mt = { __call = function(self, ...) end }
local function make_writer(level) return function(...) end end
local function new_log(name)
  local self = {}
  function self.set_levels()
    for lvl in pairs(LEVELS) do self[lvl] = make_writer(lvl) end
  end
  self.set_levels()
  self.inspect = setmetatable({ on = function() end }, inner_mt)
  self.opaque = setmetatable({}, require("somewhere"))
  return setmetatable(self, { __index = { new = new_log } })
end
return { new = function() return new_log("core") end }`,
    ],
    ['kong/pdk/response.lua', 'return { new = function() return {} end }'],
    [
      'kong/pdk/client/tls.lua',
      `local T = {}
function T.request_certificate(list) end
return { new = function() return T end }`,
    ],
    ['kong/pdk/doc.lua', '--- @function kong.request.get_a\n'],
  ]);
}

/** kong/runloop/plugin_servers files (relative to that folder), by path. */
export function hostFiles(version: 'old' | 'new'): Map<string, string> {
  const lookup = `local function index_table(t, f)
  if t[f] then return t[f] end
  local r = t
  for seg in ngx.re.gmatch(f, "\\\\w+", "o") do
    if r[seg[0]] then r = r[seg[0]] else return nil end
  end
  return r
end
`;
  const call =
    version === 'old'
      ? '  return method(unpack(args))'
      : '  local ret = method(unpack(args))\n  local fix = must_fix[cmd]\n  if fix then ret = fix(ret) end\n  return ret';
  const mustFix = version === 'new' ? 'local must_fix = { ["kong.request.get_a"] = fix_raw, ["kong.request.get_list"] = fix_mmap }\n' : '';
  return new Map([
    [
      'mp_rpc.lua',
      `${mustFix}${lookup}
local exposed_api = {
  kong = kong,
  ["kong.nginx.get_ctx"] = function(k) return ngx.ctx[k] end,
  ["kong.request.get_list"] = function(max) return fix_mmap(kong.request.get_list(max)) end,
  ["kong.request.get_a"] = function() if saved then return saved.a end return kong.request.get_a() end,
  ["kong.nginx.ref"] = ngx.req.start_time,
}
local function call_pdk_method(cmd, args)
  local method = index_table(exposed_api, cmd)
  if not method then
    kong.log.err("could not find pdk method: ", cmd)
    return
  end
${call}
end
local function step(cmd, args)
  local res, err = call_pdk_method(cmd, args)
  if not res and err then return "plugin.StepError", err end
  return "plugin.Step", res
end`,
    ],
    ['pb_rpc.lua', 'local function call_pdk_method() end\nlocal exposed_api = {}'],
  ]);
}
