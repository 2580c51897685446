-- Shared by the bench's wrk scripts: per-thread data slices, per-status counts, a JSON summary.
--
-- Environment (set by bench/run.py):
--   BENCH_DATA     file with one item per line (optional); each wrk thread takes every Nth line
--   BENCH_THREADS  wrk's -t, so that threads split the data without overlap
--   BENCH_PREFIX   unique per pass: idempotency keys and externalRefs never repeat across passes
--   BENCH_TOKEN    a client app's API key (Authorization: Bearer)
--   BENCH_OUT      where done() writes the JSON summary
-- A script defines build(n, item) -> request string, with n counting from 0 in each thread and
-- item = the data line for n (nil without data). Running out of data wraps around; the number
-- of wraps is reported so a pass that reused data can be flagged.

local lib = {}
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

lib.prefix = os.getenv("BENCH_PREFIX") or "bench"
lib.token = os.getenv("BENCH_TOKEN") or ""

function init(args)
  statuses, samples, wraps, sent = {}, {}, 0, 0
  items = {}
  local path = os.getenv("BENCH_DATA")
  if path and path ~= "" then
    local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
    local lines = {}
    for line in io.lines(path) do
      if line ~= "" then
        lines[#lines + 1] = line
      end
    end
    for i, line in ipairs(lines) do
      -- Fewer lines than threads (e.g. one URL to hammer): every thread takes them all.
      if #lines < nthreads or (i - 1) % nthreads == tid then
        items[#items + 1] = line
      end
    end
  end
  nitems = #items
  prefix = lib.prefix .. "-" .. tid
end

function request()
  local n = sent
  sent = sent + 1
  local item = nil
  if #items > 0 then
    item = items[(n % #items) + 1]
    wraps = math.floor(n / #items)
  end
  return build(n, item)
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if (status < 200 or status > 299) and (samples[key] or 0) == 0 then
    samples[key] = 1
    samples["body_" .. key] = string.sub(body or "", 1, 400)
  end
end

local function encode(value)
  local kind = type(value)
  if kind == "table" then
    local parts = {}
    for k, v in pairs(value) do
      parts[#parts + 1] = encode(tostring(k)) .. ":" .. encode(v)
    end
    return "{" .. table.concat(parts, ",") .. "}"
  elseif kind == "string" then
    local escaped = value:gsub('[%c"\\]', function(c)
      return string.format("\\u%04x", string.byte(c))
    end)
    return '"' .. escaped .. '"'
  elseif kind == "number" then
    return string.format("%.17g", value)
  elseif kind == "boolean" then
    return tostring(value)
  end
  return "null"
end

function done(summary, latency, requests)
  local all, bodies, max_wraps, items_total = {}, {}, 0, 0
  for _, thread in ipairs(threads) do
    for k, v in pairs(thread:get("statuses") or {}) do
      all[k] = (all[k] or 0) + v
    end
    for k, v in pairs(thread:get("samples") or {}) do
      if string.sub(k, 1, 5) == "body_" then
        bodies[string.sub(k, 6)] = v
      end
    end
    max_wraps = math.max(max_wraps, thread:get("wraps") or 0)
    items_total = items_total + (thread:get("nitems") or 0)
  end
  local out = {
    duration_us = summary.duration,
    requests = summary.requests,
    bytes = summary.bytes,
    errors = summary.errors,
    latency_us = {
      min = latency.min,
      max = latency.max,
      mean = latency.mean,
      stdev = latency.stdev,
      p50 = latency:percentile(50),
      p90 = latency:percentile(90),
      p95 = latency:percentile(95),
      p99 = latency:percentile(99),
      p999 = latency:percentile(99.9),
    },
    statuses = all,
    error_bodies = bodies,
    data_wraps = max_wraps,
    data_items = items_total,
  }
  local file = assert(io.open(os.getenv("BENCH_OUT"), "w"))
  file:write(encode(out))
  file:close()
end

return lib
