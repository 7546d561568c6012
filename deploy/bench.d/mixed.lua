-- A mixed day: 70% reads of focus/backlog, 25% reports filed, 5% triage and content moves.
dofile(os.getenv("BENCH_DIR") .. "/summary.lua")
local rep = os.getenv("BENCH_TOKEN")
local marketer = os.getenv("BENCH_MARKETER")
local objections = {}
for id in string.gmatch(os.getenv("BENCH_OBJECTIONS"), "[^,]+") do objections[#objections + 1] = id end
local counter = 0
request = function()
  counter = counter + 1
  local roll = math.random(1, 100)
  if roll <= 35 then
    return wrk.format("GET", "/api/v1/focus", { ["Authorization"] = "Bearer " .. rep })
  elseif roll <= 70 then
    return wrk.format("GET", "/api/v1/backlog?limit=20", { ["Authorization"] = "Bearer " .. rep })
  elseif roll <= 95 then
    local body = string.format('{"summary":"Mixed day wall %d","account":"Mixed Account %d","objection_id":"%s"}',
      counter, math.random(1, 100000), objections[math.random(1, #objections)])
    return wrk.format("POST", "/api/v1/reports", { ["Authorization"] = "Bearer " .. rep, ["Content-Type"] = "application/json" }, body)
  else
    local body = string.format('{"statement":"Mixed day objection %d-%d"}', counter, math.random(1, 1000000))
    return wrk.format("POST", "/api/v1/objections", { ["Authorization"] = "Bearer " .. marketer, ["Content-Type"] = "application/json" }, body)
  end
end
