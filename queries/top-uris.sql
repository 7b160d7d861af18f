-- name: top-uris
-- description: The 10 URIs the given client IPs requested most (e.g. the attackers a burst or cross-account query found), with how many of those IPs requested each.
-- param: from_hour = 2026/11/27/00 (first hour, yyyy/MM/dd/HH)
-- param: to_hour = 2026/11/27/23 (last hour, yyyy/MM/dd/HH)
-- param: client_ips = 203.0.113.10,203.0.113.20 (client IPs, separated by commas)
--
-- The IPs come as one text split in WHERE: Athena takes execution parameters only there, and a
-- parameter cannot stand for a list.
SELECT
    httprequest.uri AS uri,
    count(*) AS requests,
    count(DISTINCT httprequest.clientip) AS client_ips,
    count_if(action = 'BLOCK') AS blocked
FROM waf_logs
WHERE hour BETWEEN :from_hour AND :to_hour AND contains(split(:client_ips, ','), httprequest.clientip)
GROUP BY 1
ORDER BY requests DESC, uri
LIMIT 10
