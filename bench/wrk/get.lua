-- GET requests: each data line is a path (/payments/{id}, /payments?status=…, /bench/bare);
-- with BENCH_TOKEN set, they carry the client app's key.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local lib = dofile(dir .. "lib.lua")
local headers = {}

function build(n, item)
  if lib.token ~= "" then
    headers["Authorization"] = "Bearer " .. lib.token
  end
  return wrk.format("GET", item, headers, nil)
end
