-- GET /api/v1/applications?limit=20&q=…: half receipt-day prefixes (BENCH-C01-2026MMDD), half a resident's
-- full name (generate.py names resident g "<surname by g % 8>居民<g>")
package.path = os.getenv("WRK_LIB") .. "/?.lua;" .. package.path
local c = require("common")
c.headers()
local surnames = {"张", "王", "李", "赵", "陈", "刘", "杨", "黄"}
local center = os.getenv("CENTER") or "BENCH-C01"
local thread_no = 0
setup = function(thread) thread_no = thread_no + 1; thread:set("seed", thread_no) end
init = function(args) math.randomseed(os.time() * 100 + (seed or 0)) end
request = function()
  local q
  if math.random() < 0.5 then
    q = string.format("%s-2026%02d%02d", center, math.random(1, 10), math.random(1, 28))
  else
    local g = math.random(1, 200000)
    q = c.enc(surnames[(g % 8) + 1] .. "居民" .. g)
  end
  return wrk.format("GET", "/api/v1/applications?limit=20&q=" .. q)
end
done = c.done
