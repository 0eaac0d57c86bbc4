-- (a) A creator's public profile, anonymous: a random creator each request.
function make_body(k)
  local handle = string.format("creator%05d", math.random(0, data.creators - 1))
  return '{"query":' .. data.query .. ',"variables":{"handle":"' .. handle .. '"}}'
end

dofile("bench/wrk/common.lua")
