-- (h) and (i) approveDeal: request k approves deal k of the scenario's pool (never twice), as
-- that deal's brand. `approve`: deal k is in campaign k mod C (the requests in flight lock
-- different campaigns); `approve_hot`: deals k .. k+99 share a campaign (they queue on its row).
-- The pool is a file of "<deal ID> <brand index>" lines (too long for a Lua table literal).
local deals, brands

local function load_pool()
  deals, brands = {}, {}
  for line in io.lines(data.deals_file) do
    local deal, brand = line:match("^(%S+) (%d+)$")
    deals[#deals + 1] = deal
    brands[#brands + 1] = tonumber(brand)
  end
end

function token(k)
  if not deals then
    load_pool()
  end
  return data.brand_tokens[(brands[k + 1] or 0) + 1]
end

function make_body(k)
  local deal = deals[k + 1] or "capacity-exhausted"
  return '{"query":' .. data.query .. ',"variables":{"input":{"dealId":"' .. deal .. '"}}}'
end

dofile("bench/wrk/common.lua")
