-- wrk script for bench/load.py: one request shape per run, set through the environment.
--
--   LOAD_TOKEN    API token, sent as "Authorization: Token <key>"
--   LOAD_METHOD   GET (default) or POST
--   LOAD_PATH     request path; "{id}" is replaced by the next id from LOAD_IDS
--   LOAD_BODY     JSON body (POST), "{id}" replaced likewise
--   LOAD_IDS      file of ids, one per line (optional); thread i of LOAD_THREADS takes
--                 ids i, i + LOAD_THREADS, … so the threads do not repeat each other
--
-- done() prints one line, `LOADJSON {...}`, with the counts and latency percentiles in µs,
-- for bench/load.py to read (wrk's own summary rounds and mixes units).

local next_thread = 0

function setup(thread)
   thread:set("thread_index", next_thread)
   next_thread = next_thread + 1
end

function init(args)
   method = os.getenv("LOAD_METHOD") or "GET"
   path_template = os.getenv("LOAD_PATH") or "/"
   body_template = os.getenv("LOAD_BODY")
   if body_template == "" then
      body_template = nil
   end
   headers = {
      ["Authorization"] = "Token " .. (os.getenv("LOAD_TOKEN") or ""),
      ["Accept"] = "application/json",
   }
   if body_template then
      headers["Content-Type"] = "application/json"
   end
   ids = {}
   local ids_file = os.getenv("LOAD_IDS")
   if ids_file and ids_file ~= "" then
      for line in io.lines(ids_file) do
         ids[#ids + 1] = line
      end
   end
   stride = tonumber(os.getenv("LOAD_THREADS") or "1")
   position = thread_index or 0
   if #ids == 0 then
      fixed = wrk.format(method, path_template, headers, body_template)
   end
end

function request()
   if fixed then
      return fixed
   end
   local id = ids[(position % #ids) + 1]
   position = position + stride
   local path = (path_template:gsub("{id}", id))
   local body = body_template and (body_template:gsub("{id}", id)) or nil
   return wrk.format(method, path, headers, body)
end

function done(summary, latency, requests)
   local errors = summary.errors
   io.write(string.format(
      'LOADJSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, '
         .. '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, '
         .. '"mean_us": %.1f, "max_us": %d}\n',
      summary.requests, summary.duration, summary.bytes, errors.connect, errors.read,
      errors.write, errors.status, errors.timeout, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.mean, latency.max
   ))
end
