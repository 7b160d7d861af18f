-- name: top-user-agents
-- description: The 10 user agents the given client IPs sent most (e.g. the attackers a burst or cross-account query found), with how many of those IPs sent each.
-- param: from_hour = 2026/11/27/00 (first hour, yyyy/MM/dd/HH)
-- param: to_hour = 2026/11/27/23 (last hour, yyyy/MM/dd/HH)
-- param: client_ips = 203.0.113.10,203.0.113.20 (client IPs, separated by commas)
--
-- The user agent is the first User-Agent header (names compared without case); a request
-- without one counts as "-". The subscript is inside try(): Trino fails on [1] of an empty array.
SELECT
    coalesce(try(filter(httprequest.headers, h -> lower(h.name) = 'user-agent')[1].value), '-') AS user_agent,
    count(*) AS requests,
    count(DISTINCT httprequest.clientip) AS client_ips,
    count_if(action = 'BLOCK') AS blocked
FROM waf_logs
WHERE hour BETWEEN :from_hour AND :to_hour AND contains(split(:client_ips, ','), httprequest.clientip)
GROUP BY 1
ORDER BY requests DESC, user_agent
LIMIT 10
