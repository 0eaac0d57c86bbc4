-- (f) { __typename }: the fixed cost of a request.
function make_body(k)
  return '{"query":' .. data.query .. '}'
end

dofile("bench/wrk/common.lua")
