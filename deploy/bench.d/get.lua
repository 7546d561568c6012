-- GET one path with a bearer token or a cookie.
dofile(os.getenv("BENCH_DIR") .. "/summary.lua")
wrk.headers["Authorization"] = os.getenv("BENCH_TOKEN") and ("Bearer " .. os.getenv("BENCH_TOKEN")) or nil
if os.getenv("BENCH_COOKIE") then wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE") end
wrk.headers["Accept"] = "text/html,application/json"
