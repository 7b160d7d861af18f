-- name: top-client-ips
-- description: The 25 client IPs with the most requests in a time window, with how many were blocked.
-- param: from_hour = 2026/11/27/00 (first hour, yyyy/MM/dd/HH)
-- param: to_hour = 2026/11/27/23 (last hour, yyyy/MM/dd/HH)
SELECT
    httprequest.clientip AS client_ip,
    count(*) AS requests,
    count_if(action = 'BLOCK') AS blocked,
    count(DISTINCT httprequest.country) AS countries
FROM waf_logs
WHERE hour BETWEEN :from_hour AND :to_hour
GROUP BY 1
ORDER BY requests DESC, client_ip
LIMIT 25
