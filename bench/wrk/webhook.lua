-- POST /webhooks/razorpay: each data line is "event id<TAB>signature<TAB>raw body", signed
-- before the pass with the webhook secret; duplicates are repeated lines (same id and body).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "lib.lua")
local headers = {}

function build(n, item)
  local event_id, signature, body = item:match("^([^\t]*)\t([^\t]*)\t(.*)$")
  headers["Content-Type"] = "application/json"
  headers["User-Agent"] = "Razorpay-Webhook/v1"
  headers["X-Razorpay-Event-Id"] = event_id
  headers["X-Razorpay-Signature"] = signature
  return wrk.format("POST", "/webhooks/razorpay", headers, body)
end
