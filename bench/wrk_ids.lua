-- wrk: each request a different id under one route, as real clients of a
-- REST API send (/api/items/100001, /api/items/100002, ...): the kernel then
-- normalises every request's target, as it would in production.
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, "/api/items/" .. (100000 + n % 900000) .. "?expand=owner")
end
