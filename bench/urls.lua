-- wrk script for manage.py bench: requests the URLs of a file (one per line) in turn, each
-- thread from its own starting point, then prints the figures as one JSON line.
local urls = {}
local next_url = 1

function init(args)
  for line in io.lines(args[1]) do
    urls[#urls + 1] = line
  end
  next_url = math.random(#urls)
end

function request()
  local url = urls[next_url]
  next_url = next_url % #urls + 1
  return wrk.format("GET", url)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "socket_errors": %d, ' ..
    '"non_2xx": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    errors.connect + errors.read + errors.write + errors.timeout, errors.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
