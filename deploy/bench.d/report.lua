-- POST /api/v1/reports as a rep, each request a different account and objection.
dofile(os.getenv("BENCH_DIR") .. "/summary.lua")
local token = os.getenv("BENCH_TOKEN")
local objections = {}
for id in string.gmatch(os.getenv("BENCH_OBJECTIONS"), "[^,]+") do objections[#objections + 1] = id end
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"summary":"Bench wall %d came up","account":"Bench Account %d","deal_amount":%d,"objection_id":"%s"}',
    counter, math.random(1, 100000), math.random(1, 300) * 1000, objections[math.random(1, #objections)])
  return wrk.format("POST", "/api/v1/reports", { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, body)
end
