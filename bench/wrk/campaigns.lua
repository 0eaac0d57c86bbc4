-- (g) campaigns(first: 20): a random marketplace creator browses the campaigns they qualify for.
function token(k)
  return data.viewers[math.random(1, #data.viewers)]
end

function make_body(k)
  return '{"query":' .. data.query .. '}'
end

dofile("bench/wrk/common.lua")
