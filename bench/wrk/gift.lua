-- (d) sendGift: request k comes from fan k mod n, one Rose to the LIVE, a fresh key.
function token(k)
  return data.fans[k % #data.fans + 1]
end

function make_body(k)
  return '{"query":' .. data.query .. ',"variables":{"input":{"giftId":"' .. data.gift
    .. '","liveId":"' .. data.live .. '","quantity":1,"idempotencyKey":"' .. prefix .. '-' .. k
    .. '"}}}'
end

dofile("bench/wrk/common.lua")
