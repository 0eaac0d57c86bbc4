-- (b) A buyer's Series page with signed playback links: a random buyer each request.
function token(k)
  return data.buyers[math.random(1, #data.buyers)]
end

function make_body(k)
  return '{"query":' .. data.query .. ',"variables":{"id":"' .. data.page_series .. '"}}'
end

dofile("bench/wrk/common.lua")
