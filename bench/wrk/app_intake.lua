-- POST /api/v1/applications with every material ticked and "accept": true = one accepted application
-- (applicant found or registered by ID number, case opened, materials ticked, 受理, answer = the case).
-- $MATERIAL_TYPES: comma-separated MaterialType ids of BENCH-M001; $SEQ0: where this run's IDs start.
-- $TOKENS (optional): comma-separated clerk tokens, one per center - requests take them in turn, so the
-- load is a district's clerks, not one center's (a center numbers its cases one commit at a time).
package.path = os.getenv("WRK_LIB") .. "/?.lua;" .. package.path
local c = require("common")
c.headers()
local ticks = {}
for id in string.gmatch(os.getenv("MATERIAL_TYPES") or "", "%d+") do
  ticks[#ticks + 1] = '{"material_type_id":' .. id .. '}'
end
local materials = "[" .. table.concat(ticks, ",") .. "]"
local tokens = {}
for t in string.gmatch(os.getenv("TOKENS") or "", "[^,]+") do tokens[#tokens + 1] = t end
local thread_no = 0
setup = function(thread) thread_no = thread_no + 1; thread:set("tid", thread_no) end
local n = 0
init = function(args) n = tonumber(os.getenv("SEQ0") or "1") + (tid or 0) * 1000000 end
request = function()
  n = n + 1
  local body = '{"matter_code":"BENCH-M001","channel":"window","accept":true,' ..
    '"applicant":{"id_number":"' .. c.valid_id(n) .. '","name":"基准申请人' .. n .. '"},' ..
    '"materials":' .. materials .. '}'
  local headers = nil
  if #tokens > 0 then
    headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. tokens[n % #tokens + 1]}
  end
  return wrk.format("POST", "/api/v1/applications", headers, body)
end
done = c.done
