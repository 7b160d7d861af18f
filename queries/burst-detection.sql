-- name: burst-detection
-- description: Client IPs exceeding a request threshold in any sliding 5-minute window: the DDoS signal, with the window's start.
-- param: from_hour = 2026/11/27/00 (first hour, yyyy/MM/dd/HH)
-- param: to_hour = 2026/11/27/23 (last hour, yyyy/MM/dd/HH)
-- param: threshold = 500 (requests in 5 minutes above which a client IP is reported)
--
-- Why this shape: the data is read once, grouped by client IP alone, as top-client-ips does, so
-- the scan costs what a plain count costs. An IP with no more requests in all than the threshold
-- cannot exceed it in 5 minutes, so only the other IPs' timestamps are unnested and windowed.
-- Counting per IP and second or minute first would not help: with many slow clients there are
-- about as many (IP, minute) pairs as requests, and the window would still sort nearly every row.
-- Every CTE is read once, because Athena (Trino) inlines a CTE at each reference, scan included.
-- The threshold is an execution parameter, so it stands only in WHERE clauses (Athena's rule), twice.
-- The 5-minute window counting is the same as in threshold-tuning.sql.
WITH per_ip AS (
    SELECT
        httprequest.clientip AS client_ip,
        count(*) AS requests,
        array_agg("timestamp") AS times
    FROM waf_logs
    WHERE hour BETWEEN :from_hour AND :to_hour
    GROUP BY 1
),
candidates AS (
    SELECT p.client_ip, p.times
    FROM per_ip p
    WHERE p.requests > :threshold
),
per_request AS (
    SELECT
        c.client_ip,
        t.ts,
        -- Requests of this IP in the 5 minutes starting at this request (300,000 ms, both ends in).
        count(*) OVER (
            PARTITION BY c.client_ip
            ORDER BY t.ts
            RANGE BETWEEN CURRENT ROW AND 299999 FOLLOWING
        ) AS in_window
    FROM candidates c
    CROSS JOIN UNNEST(c.times) AS t (ts)
),
peaks AS (
    SELECT client_ip, ts, in_window, max(in_window) OVER (PARTITION BY client_ip) AS peak
    FROM per_request
)
SELECT
    client_ip,
    peak AS requests_in_5_minutes,
    date_format(from_unixtime(min(ts) / 1000), '%Y-%m-%d %H:%i') AS window_start
FROM peaks
WHERE in_window = peak AND peak > :threshold
GROUP BY client_ip, peak
ORDER BY requests_in_5_minutes DESC, client_ip
