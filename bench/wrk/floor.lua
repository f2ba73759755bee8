-- POST /bench/floor: a bare DRF endpoint doing one INSERT (the floor every throughput is compared to)
package.path = os.getenv("WRK_LIB") .. "/?.lua;" .. package.path
local c = require("common")
c.headers()
wrk.method = "POST"
wrk.body = "{}"
done = c.done
