-- Logon + logoff pairs for bench/logon.py: each thread logs on (POST /api/sessionMngr), keeps the
-- session the 201 names (token header, Location), and logs it off next (DELETE /api/logonSessions/<id>).
local credentials = os.getenv("BENCH_BASIC") or ""
local queue = {}
pairs_done = 0
failures = 0

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function request()
  local session = table.remove(queue)
  if session then
    return wrk.format("DELETE", "/api/logonSessions/" .. session.id, {["X-RestSvcSessionId"] = session.token})
  end
  return wrk.format("POST", "/api/sessionMngr/?v=latest", {["Authorization"] = "Basic " .. credentials})
end

function response(status, headers, body)
  if status == 201 then
    local token = headers["x-restsvcsessionid"] or headers["X-RestSvcSessionId"]
    local location = headers["location"] or headers["Location"] or ""
    local id = string.match(location, "logonSessions/([%w%-]+)")
    if token and id then
      table.insert(queue, {id = id, token = token})
    else
      failures = failures + 1
    end
  elseif status == 204 then
    pairs_done = pairs_done + 1
  else
    failures = failures + 1
  end
end

function done(summary, latency, requests)
  local total, failed = 0, 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("pairs_done")
    failed = failed + thread:get("failures")
  end
  io.write(string.format("PAIRS %d FAILURES %d SECONDS %.3f\n", total, failed, summary.duration / 1e6))
end
