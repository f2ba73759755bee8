-- Shared by the wrk scenario scripts of bench/*/run.py: Bearer token from $TOKEN (if set) and one
-- JSON line of results at the end (latencies in microseconds; status errors = answers >= 400).
local M = {}

function M.headers()
  wrk.headers["Content-Type"] = "application/json"
  local token = os.getenv("TOKEN")
  if token and token ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. token
  end
end

function M.done(summary, latency, requests)
  io.write(string.format(
    '\n{"requests":%d,"duration_us":%d,"errors_status":%d,"errors_other":%d,' ..
    '"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end

-- URL-encode a UTF-8 string for a query parameter
function M.enc(s)
  return (s:gsub("[^%w%-_%.~]", function(ch) return string.format("%%%02X", string.byte(ch)) end))
end

-- a valid 18-digit resident ID number (GB 11643 check digit) derived from n
local W = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
local CHECK = "10X98765432"
function M.valid_id(n)
  local body = string.format("310110%04d%02d%02d%03d", 1950 + n % 50, 1 + n % 12, 1 + n % 28, n % 1000)
  local sum = 0
  for i = 1, 17 do sum = sum + tonumber(body:sub(i, i)) * W[i] end
  local k = sum % 11 + 1
  return body .. CHECK:sub(k, k)
end

-- wrk's delay(): exponential think time with mean think_ms between a connection's requests (nil, no
-- delay, when think_ms is 0). Each connection's first request goes at once ($CONNS_PER_THREAD of them):
-- a new connection that stays silent ties up one of gunicorn's gthread threads for up to 5 s (as a
-- browser that connects and waits would; nginx in front buffers requests, see docs/deploy.md), which
-- is not what is being measured.
function M.think_delay(think_ms)
  if not think_ms or think_ms <= 0 then return nil end
  local first = tonumber(os.getenv("CONNS_PER_THREAD") or "0")
  return function()
    if first > 0 then first = first - 1; return 0 end
    return math.floor(-think_ms * math.log(1 - math.random()))
  end
end

return M
