-- name: requests-by-country
-- description: Requests per country per hour, with how many were blocked.
-- param: from_hour = 2026/11/27/00 (first hour, yyyy/MM/dd/HH)
-- param: to_hour = 2026/11/27/23 (last hour, yyyy/MM/dd/HH)
SELECT
    date_format(from_unixtime("timestamp" / 1000), '%Y-%m-%d %H:00') AS hour_start,
    httprequest.country AS country,
    count(*) AS requests,
    count_if(action = 'BLOCK') AS blocked
FROM waf_logs
WHERE hour BETWEEN :from_hour AND :to_hour
GROUP BY 1, 2
ORDER BY hour_start, requests DESC, country
