-- name: burst-detection
-- description: Client IPs exceeding a request threshold in any sliding 5-minute window: the DDoS signal, with the window's start.
-- param: from_hour = 2026/11/27/00 (first hour, yyyy/MM/dd/HH)
-- param: to_hour = 2026/11/27/23 (last hour, yyyy/MM/dd/HH)
-- param: threshold = 500 (requests in 5 minutes above which a client IP is reported)
WITH per_request AS (
    SELECT
        httprequest.clientip AS client_ip,
        "timestamp" AS ts,
        count(*) OVER (
            PARTITION BY httprequest.clientip
            ORDER BY "timestamp"
            RANGE BETWEEN CURRENT ROW AND 299999 FOLLOWING
        ) AS in_window
    FROM waf_logs
    WHERE hour BETWEEN ? AND ?
),
peaks AS (
    SELECT client_ip, max(in_window) AS peak
    FROM per_request
    GROUP BY client_ip
)
SELECT
    p.client_ip,
    p.peak AS requests_in_5_minutes,
    date_format(from_unixtime(min(r.ts) / 1000), '%Y-%m-%d %H:%i') AS window_start
FROM peaks p
JOIN per_request r ON r.client_ip = p.client_ip AND r.in_window = p.peak
WHERE p.peak > ?
GROUP BY p.client_ip, p.peak
ORDER BY requests_in_5_minutes DESC, p.client_ip
