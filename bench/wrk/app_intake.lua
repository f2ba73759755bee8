-- POST /api/v1/applications with every material ticked and "accept": true = one accepted application
-- (applicant found or registered by ID number, case opened, materials ticked, 受理, answer = the case).
-- $MATERIAL_TYPES: comma-separated MaterialType ids of BENCH-M001; $SEQ0: where this run's IDs start.
package.path = os.getenv("WRK_LIB") .. "/?.lua;" .. package.path
local c = require("common")
c.headers()
local ticks = {}
for id in string.gmatch(os.getenv("MATERIAL_TYPES") or "", "%d+") do
  ticks[#ticks + 1] = '{"material_type_id":' .. id .. '}'
end
local materials = "[" .. table.concat(ticks, ",") .. "]"
local thread_no = 0
setup = function(thread) thread_no = thread_no + 1; thread:set("tid", thread_no) end
local n = 0
init = function(args) n = tonumber(os.getenv("SEQ0") or "1") + (tid or 0) * 1000000 end
request = function()
  n = n + 1
  local body = '{"matter_code":"BENCH-M001","channel":"window","accept":true,' ..
    '"applicant":{"id_number":"' .. c.valid_id(n) .. '","name":"基准申请人' .. n .. '"},' ..
    '"materials":' .. materials .. '}'
  return wrk.format("POST", "/api/v1/applications", nil, body)
end
done = c.done
