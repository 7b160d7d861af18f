-- name: blocklist-candidates
-- description: What the detector blocks: client IPs over a threshold in a 5-minute window starting at or after a given time, with their peak window, first and last request and every account/Region they hit in the searched hours.
-- param: from_hour = 2026/11/27/10 (first hour partition searched, yyyy/MM/dd/HH; the hour the earliest window starts in)
-- param: to_hour = 2026/11/27/11 (last hour partition searched, yyyy/MM/dd/HH; the current hour)
-- param: since_ms = 1795775400000 (epoch milliseconds; only 5-minute windows starting at or after this count)
-- param: threshold = 1000 (requests in 5 minutes above which a client IP is blocked)
WITH requests AS (
    SELECT httprequest.clientip AS client_ip, "timestamp" AS ts, account_id || '/' || region AS location
    FROM waf_logs
    WHERE hour BETWEEN ? AND ?
),
-- Counting per client IP and second first keeps the window below cheap: it slides over counts, not rows.
per_second AS (
    SELECT client_ip, CAST(floor(ts / 1000e0) AS BIGINT) AS second, count(*) AS requests
    FROM requests
    GROUP BY 1, 2
),
windows AS (
    SELECT
        client_ip,
        second,
        sum(requests) OVER (PARTITION BY client_ip ORDER BY second RANGE BETWEEN CURRENT ROW AND 299 FOLLOWING) AS in_window
    FROM per_second
),
recent AS (
    SELECT * FROM windows WHERE second * 1000 >= ?
),
peaks AS (
    SELECT client_ip, max(in_window) AS peak
    FROM recent
    GROUP BY client_ip
    HAVING max(in_window) > ?
),
starts AS (
    SELECT r.client_ip, min(r.second) * 1000 AS window_start_ms
    FROM recent r
    JOIN peaks p ON r.client_ip = p.client_ip AND r.in_window = p.peak
    GROUP BY r.client_ip
),
per_client AS (
    SELECT
        client_ip,
        min(ts) AS first_seen_ms,
        max(ts) AS last_seen_ms,
        count(*) AS requests,
        array_join(array_sort(array_agg(DISTINCT location)), ',') AS seen_in
    FROM requests
    WHERE client_ip IN (SELECT client_ip FROM peaks)
    GROUP BY client_ip
)
SELECT
    p.client_ip,
    p.peak AS requests_in_5_minutes,
    s.window_start_ms,
    c.first_seen_ms,
    c.last_seen_ms,
    c.requests,
    c.seen_in
FROM peaks p
JOIN starts s ON s.client_ip = p.client_ip
JOIN per_client c ON c.client_ip = p.client_ip
ORDER BY requests_in_5_minutes DESC, p.client_ip
