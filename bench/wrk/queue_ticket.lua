-- Ticket machines: POST /api/v1/centers/$CENTER/tickets (public, no token), 10 % with a priority reason.
-- $THINK_MS > 0: exponential think time between a connection's requests (the paced phase).
package.path = os.getenv("WRK_LIB") .. "/?.lua;" .. package.path
local c = require("common")
wrk.headers["Content-Type"] = "application/json"
local path = "/api/v1/centers/" .. (os.getenv("CENTER") or "BENCH-Q") .. "/tickets"
local think = tonumber(os.getenv("THINK_MS") or "0")
local thread_no = 0
setup = function(thread) thread_no = thread_no + 1; thread:set("seed", thread_no) end
init = function(args) math.randomseed(os.time() * 1000 + (seed or 0)) end
request = function()
  local body = '{"queue":"A"}'
  if math.random() < 0.1 then body = '{"queue":"A","priority_reason":"military"}' end
  return wrk.format("POST", path, nil, body)
end
delay = c.think_delay(think)
done = c.done
