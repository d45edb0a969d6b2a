-- SAIO Lab's wrk script. It adds nothing to the requests wrk sends; it only
--  * prints, once the run is over, one machine-readable line: "SAIO-WRK-JSON {...}", with
--    exact counts and latency percentiles (wrk's own report rounds everything and stops at p99);
--  * when given the path of a file after "--", compares every response body with that file.
--
-- wrk runs this file in several Lua states: one per thread (init, response) and a main one
-- (setup, done). Values cross between them only through thread:get / thread:set.

-- Main state: the thread handles, so done() can sum the per-thread verification counters.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

-- Thread state. args[0] is the URL; args[1], when present, is the expected body's path.
function init(args)
  local expected_path = args[1]
  if expected_path == nil then
    -- No verification: leave the global `response` undefined. wrk checks for it once and,
    -- when it exists, hands every response's headers and body to Lua, which costs throughput.
    return
  end

  local file = io.open(expected_path, "rb")
  if file == nil then
    error("saio summary.lua: cannot open expected body file " .. expected_path)
  end
  local expected = file:read("*a")
  file:close()

  -- Globals, so that the main state can read them with thread:get().
  saio_verify_checked = 0
  saio_verify_mismatched = 0
  saio_verify_bad_status = 0

  response = function(status, headers, body)
    saio_verify_checked = saio_verify_checked + 1
    if body ~= expected then
      saio_verify_mismatched = saio_verify_mismatched + 1
    end
    if status < 200 or status >= 300 then
      saio_verify_bad_status = saio_verify_bad_status + 1
    end
  end
end

-- A JSON number: integers without a fraction, others with 3 decimals; NaN and infinities
-- (0/0 stdev of an empty histogram) as 0, which JSON could not carry anyway.
local function json_number(x)
  if x ~= x or x == math.huge or x == -math.huge then
    return "0"
  end
  if x == math.floor(x) and math.abs(x) < 2^53 then
    return string.format("%d", x)
  end
  return string.format("%.3f", x)
end

-- {"k":v,...} from an ordered list of {key, already-encoded value} pairs.
local function json_object(pairs_list)
  local parts = {}
  for _, kv in ipairs(pairs_list) do
    parts[#parts + 1] = string.format("%q:%s", kv[1], kv[2])
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

local function sum_over_threads(name)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + (thread:get(name) or 0)
  end
  return total
end

function done(summary, latency, requests)
  local n = json_number
  local errors = summary.errors

  -- An empty histogram keeps its initial min (UINT64_MAX); report 0 like wrk does for the rest.
  local recorded = #latency > 0
  local min = recorded and latency.min or 0

  local fields = {
    { "requests", n(summary.requests) },
    { "duration_us", n(summary.duration) },
    { "bytes", n(summary.bytes) },
    { "errors", json_object({
      { "connect", n(errors.connect) },
      { "read", n(errors.read) },
      { "write", n(errors.write) },
      { "status", n(errors.status) },
      { "timeout", n(errors.timeout) },
    }) },
    { "latency", json_object({
      { "min", n(min) },
      { "mean", n(latency.mean) },
      { "stdev", n(latency.stdev) },
      { "max", n(latency.max) },
      { "p50", n(latency:percentile(50)) },
      { "p75", n(latency:percentile(75)) },
      { "p90", n(latency:percentile(90)) },
      { "p99", n(latency:percentile(99)) },
      { "p999", n(latency:percentile(99.9)) },
      { "p9999", n(latency:percentile(99.99)) },
    }) },
  }

  local verifying = #threads > 0 and threads[1]:get("saio_verify_checked") ~= nil
  if verifying then
    fields[#fields + 1] = { "verify", json_object({
      { "checked", n(sum_over_threads("saio_verify_checked")) },
      { "mismatched", n(sum_over_threads("saio_verify_mismatched")) },
      { "bad_status", n(sum_over_threads("saio_verify_bad_status")) },
    }) }
  end

  io.write("SAIO-WRK-JSON ", json_object(fields), "\n")
  io.flush()
end
