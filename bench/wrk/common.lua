-- Shared by the bench scenarios (wrk 4.x, LuaJIT). Each scenario script sets `make_body(k)`
-- (the JSON body of request number k, unique across threads) and, if it needs one, `token(k)`,
-- then loads this file. Arguments after `--`: the path (/graphql or /raw/<scenario>), the data
-- file (a Lua table written by bench/run.py: tokens, IDs, and `query`, the scenario's document
-- from bench/scenarios.py already JSON-encoded), the first request number, and a key prefix.
-- Every response other than a 200 without "errors"/"error"/userErrors counts as a failure;
-- done() prints one line "BENCH_JSON {...}" for bench/run.py.

local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

function init(args)
  path = args[1]
  data = dofile(args[2])
  math.randomseed(os.time() + thread_index)
  first = tonumber(args[3])
  prefix = args[4]
  thread_count = data.threads
  made, failures, sample = 0, 0, ""
end

function request()
  local k = first + made * thread_count + thread_index
  made = made + 1
  local headers = { ["Content-Type"] = "application/json" }
  if token then
    headers["Authorization"] = "Bearer " .. token(k)
  end
  return wrk.format("POST", path, headers, make_body(k))
end

function response(status, headers, body)
  if status ~= 200 or body:find('"errors"', 1, true) or body:find('"error"', 1, true)
      or body:find('"userErrors":[{', 1, true) then
    failures = failures + 1
    if sample == "" then
      sample = status .. " " .. body:sub(1, 300)
    end
  end
end

local function json_string(text)
  return '"' .. text:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

function done(summary, latency, requests)
  local total_made, total_failures, first_sample = 0, 0, ""
  for _, thread in ipairs(threads) do
    total_made = math.max(total_made, thread:get("made"))
    total_failures = total_failures + thread:get("failures")
    if first_sample == "" then
      first_sample = thread:get("sample")
    end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"non2xx":%d,'
      .. '"socket_errors":%d,"failures":%d,"most_made_by_a_thread":%d,"sample":%s}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout, total_failures, total_made,
    json_string(first_sample)))
end
