-- name: requests-per-client-ip
-- description: Requests per 5-minute window for the 10 busiest client IPs: the timeline behind a DDoS.
-- param: from_hour = 2026/11/27/00 (first hour, yyyy/MM/dd/HH)
-- param: to_hour = 2026/11/27/23 (last hour, yyyy/MM/dd/HH)
WITH counted AS (
    SELECT
        httprequest.clientip AS client_ip,
        date_format(from_unixtime(("timestamp" - "timestamp" % 300000) / 1000), '%Y-%m-%d %H:%i') AS window_start,
        count(*) AS requests
    FROM waf_logs
    WHERE hour BETWEEN ? AND ?
    GROUP BY 1, 2
),
busiest AS (
    SELECT client_ip
    FROM counted
    GROUP BY client_ip
    ORDER BY sum(requests) DESC, client_ip
    LIMIT 10
)
SELECT c.client_ip, c.window_start, c.requests
FROM counted c
JOIN busiest b ON b.client_ip = c.client_ip
ORDER BY c.window_start, c.client_ip
