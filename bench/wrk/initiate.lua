-- POST /payments/initiate (or the reference view, BENCH_PATH=/bench/reference): a new
-- externalRef and a new Idempotency-Key for every request.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local lib = dofile(dir .. "lib.lua")
local path = os.getenv("BENCH_PATH") or ""
if path == "" then
  path = "/payments/initiate"
end
local headers = {}

function build(n, item)
  local ref = prefix .. "-" .. n
  headers["Content-Type"] = "application/json"
  headers["Idempotency-Key"] = "idem-" .. ref
  if lib.token ~= "" then
    headers["Authorization"] = "Bearer " .. lib.token
  end
  local body = string.format(
    '{"externalRef":"%s","amount":%d,"currency":"INR","email":"buyer%d@example.com",'
      .. '"contact":"+919876543210","metadata":{"cart":"cart-%d","channel":"web"}}',
    ref, 50000 + (n % 97) * 100, n % 1000, n
  )
  return wrk.format("POST", path, headers, body)
end
