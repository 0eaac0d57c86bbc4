-- (e) purchaseSeries with coins: request k is fan (k mod n) buying Series (k div n), so no
-- pair repeats while k < fans x Series (bench/run.py checks the capacity).
function token(k)
  return data.fans[k % #data.fans + 1]
end

function make_body(k)
  local series = data.sale_series[math.floor(k / #data.fans) + 1] or "capacity-exhausted"
  return '{"query":' .. data.query .. ',"variables":{"input":{"seriesId":"' .. series
    .. '","paidWith":"COINS","idempotencyKey":"' .. prefix .. '-' .. k .. '"}}}'
end

dofile("bench/wrk/common.lua")
