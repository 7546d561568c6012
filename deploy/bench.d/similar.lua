-- GET /api/v1/objections/similar as the report page asks while a rep types: a sentence of filler around three words of the
-- bench's vocabulary (the pseudo-words BulkLoad writes statements and reports with), one of them cut short as when typing.
dofile(os.getenv("BENCH_DIR") .. "/summary.lua")
local token = os.getenv("BENCH_TOKEN")
local syllables = {"ka", "lo", "mi", "ten", "sor", "vu", "pra", "dex", "qui", "bel", "nor", "fi", "gat", "hu", "jes", "rom",
                   "zan", "wy", "cle", "to", "ub", "ish", "mar", "vol", "ent", "ap", "ix", "ode"}
local function word(n)
  local c = #syllables
  return syllables[n % c + 1] .. syllables[math.floor(n / c) % c + 1] .. syllables[math.floor(n / c / c) % c + 1]
end
request = function()
  local last = word(math.random(0, 19999))
  local text = string.format("they told us again that %s and %s are a problem for %s", word(math.random(0, 19999)),
    word(math.random(0, 19999)), string.sub(last, 1, #last - 1))
  return wrk.format("GET", "/api/v1/objections/similar?text=" .. text:gsub(" ", "%%20"), { ["Authorization"] = "Bearer " .. token })
end
