-- (i) approveDeal on one campaign at a time: the same script as (h), its own pool.
dofile("bench/wrk/approve.lua")
