-- 16 marketers pulling next at once: one thread and one token each; counts 201s and 204s.
dofile(os.getenv("BENCH_DIR") .. "/summary.lua")
local tokens = {}
for t in string.gmatch(os.getenv("BENCH_TOKENS"), "[^,]+") do tokens[#tokens + 1] = t end
local threads = {}
local index = 0
setup = function(thread)
  index = index + 1
  thread:set("token", tokens[(index - 1) % #tokens + 1])
  table.insert(threads, thread)
end
init = function() pulled = 0; empty = 0 end
request = function()
  return wrk.format("POST", "/api/v1/backlog/next", { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, '{"format":"blog_post"}')
end
response = function(status)
  if status == 201 then pulled = pulled + 1 elseif status == 204 then empty = empty + 1 end
end
local base_done = done
done = function(summary, latency, requests)
  local p, e = 0, 0
  for _, thread in ipairs(threads) do p = p + thread:get("pulled"); e = e + thread:get("empty") end
  io.write(string.format('PULLS {"pulled":%d,"empty":%d}\n', p, e))
  base_done(summary, latency, requests)
end
