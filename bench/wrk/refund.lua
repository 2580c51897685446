-- POST /payments/{id}/refunds: each data line is "payment id<TAB>amount" of a captured
-- payment; lines are cycled, so a payment takes several partial refunds, never concurrently
-- (the same line comes back only after every other one). A new Idempotency-Key each time.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local lib = dofile(dir .. "lib.lua")
local headers = {}

function build(n, item)
  local payment_id, amount = item:match("^([^\t]*)\t(.*)$")
  headers["Content-Type"] = "application/json"
  headers["Authorization"] = "Bearer " .. lib.token
  headers["Idempotency-Key"] = "refund-" .. prefix .. "-" .. n
  local body = string.format('{"amount":%s,"reason":"bench"}', amount)
  return wrk.format("POST", "/payments/" .. payment_id .. "/refunds", headers, body)
end
