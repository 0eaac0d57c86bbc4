-- (c) The first 100 accounts, each with its 10 newest videos.
function make_body(k)
  return '{"query":' .. data.query .. '}'
end

dofile("bench/wrk/common.lua")
