-- wrk script for the performance harness: every request carries the next session's cookie from
-- the cookie file (one `name=value` per line), so the requests spread over all live sessions.
-- The requests are formatted once, in init, so the load tool's own cost per request stays that
-- of a plain wrk run. At the end it prints one RESULT line the driver reads.
--
--   wrk -t1 -c32 -d10s -s bench/wrk/sessions.lua http://127.0.0.1:18090/protected -- cookies.txt

local requests = {}
local count = 0
local next_one = 0

function init(args)
  local path = args[1] or error("usage: -s sessions.lua URL -- COOKIE_FILE")
  for line in io.lines(path) do
    count = count + 1
    requests[count] = wrk.format("GET", wrk.path, { ["Cookie"] = line })
  end
  if count == 0 then error("no cookies in " .. path) end
  -- Each thread starts at its own place in the file.
  next_one = math.random(count) - 1
end

function request()
  next_one = next_one % count + 1
  return requests[next_one]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d status_errors=%d socket_errors=%d p50_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
