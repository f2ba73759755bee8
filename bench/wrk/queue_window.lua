-- Windows: each wrk thread is one window (run with -t N -c N): POST /api/v1/windows/<id>/call-next, then
-- POST /api/v1/tickets/<id>/finish for the ticket it got, and again. $WINDOWS = "id:token,id:token,…"
-- (one per thread); $THINK_MS as in queue_ticket.lua. A 204 (nobody waiting) simply calls again; a 409
-- window_busy names the ticket still in hand, which is then finished.
package.path = os.getenv("WRK_LIB") .. "/?.lua;" .. package.path
local c = require("common")
local windows = {}
for id, token in string.gmatch(os.getenv("WINDOWS") or "", "(%d+):([^,]+)") do
  windows[#windows + 1] = {id = id, token = token}
end
local think = tonumber(os.getenv("THINK_MS") or "0")
local thread_no = 0
setup = function(thread)
  thread_no = thread_no + 1
  local w = windows[(thread_no - 1) % #windows + 1]
  thread:set("window_id", w.id)
  thread:set("token", w.token)
  thread:set("seed", thread_no)
end
local ticket = nil
local headers = nil
init = function(args)
  math.randomseed(os.time() * 1000 + (seed or 0))
  headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}
end
request = function()
  if ticket then
    return wrk.format("POST", "/api/v1/tickets/" .. ticket .. "/finish", headers, "{}")
  end
  return wrk.format("POST", "/api/v1/windows/" .. window_id .. "/call-next", headers, "{}")
end
response = function(status, hdrs, body)
  if ticket then
    ticket = nil
  elseif status == 200 then
    ticket = body:match('"ticket"%s*:%s*{.-"id"%s*:%s*(%d+)')
  elseif status == 409 then  -- queue.window_busy: still holding a ticket (e.g. a finish that was lost)
    ticket = body:match('"ticket_id"%s*:%s*(%d+)')
  end
end
delay = c.think_delay(think)
done = c.done
