-- POST /payments/confirm: each data line is the simulator's answer to
-- POST /_sim/orders/{id}/pay (checkout's handler fields), prepared before the pass.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "lib.lua")
local headers = {}

function build(n, item)
  headers["Content-Type"] = "application/json"
  return wrk.format("POST", "/payments/confirm", headers, item)
end
