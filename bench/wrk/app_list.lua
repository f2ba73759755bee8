-- GET /api/v1/applications?limit=20 (the token decides whose list: a center clerk's or a department reviewer's)
package.path = os.getenv("WRK_LIB") .. "/?.lua;" .. package.path
local c = require("common")
c.headers()
wrk.method = "GET"
wrk.path = "/api/v1/applications?limit=20"
done = c.done
