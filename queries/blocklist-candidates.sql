-- name: blocklist-candidates
-- description: What the detector blocks: client IPs over a threshold in a 5-minute window starting at or after a given time, with their peak window, first and last request and every account/Region they hit in the searched hours.
-- param: from_hour = 2026/11/27/10 (first hour partition searched, yyyy/MM/dd/HH; the hour the earliest window starts in)
-- param: to_hour = 2026/11/27/11 (last hour partition searched, yyyy/MM/dd/HH; the current hour)
-- param: since_ms = 1795775400000 (epoch milliseconds; only 5-minute windows starting at or after this count)
-- param: threshold = 1000 (requests in 5 minutes above which a client IP is blocked)
--
-- burst-detection's shape and window, so the detector blocks exactly what forensics reports: one
-- scan grouped by client IP (Athena inlines a CTE at each reference, so every CTE is read once and
-- what later steps need rides along), then only IPs with more requests in all than the threshold
-- are windowed. A window is the 300,000 ms starting at one of the IP's requests, both ends in.
-- Execution parameters stand only in WHERE clauses (Athena's rule): the threshold appears twice.
WITH per_ip AS (
    SELECT
        httprequest.clientip AS client_ip,
        count(*) AS requests,
        min("timestamp") AS first_seen_ms,
        max("timestamp") AS last_seen_ms,
        array_agg("timestamp") AS times,
        array_join(array_sort(array_agg(DISTINCT account_id || '/' || region)), ',') AS seen_in
    FROM waf_logs
    WHERE hour BETWEEN :from_hour AND :to_hour
    GROUP BY 1
),
candidates AS (
    SELECT p.client_ip, p.requests, p.first_seen_ms, p.last_seen_ms, p.times, p.seen_in
    FROM per_ip p
    WHERE p.requests > :threshold
),
per_request AS (
    SELECT
        c.client_ip,
        c.requests,
        c.first_seen_ms,
        c.last_seen_ms,
        c.seen_in,
        t.ts,
        count(*) OVER (
            PARTITION BY c.client_ip
            ORDER BY t.ts
            RANGE BETWEEN CURRENT ROW AND 299999 FOLLOWING
        ) AS in_window
    FROM candidates c
    CROSS JOIN UNNEST(c.times) AS t (ts)
),
recent AS (
    SELECT
        client_ip,
        requests,
        first_seen_ms,
        last_seen_ms,
        seen_in,
        ts,
        in_window,
        max(in_window) OVER (PARTITION BY client_ip) AS peak
    FROM per_request
    WHERE ts >= :since_ms
)
SELECT
    client_ip,
    peak AS requests_in_5_minutes,
    min(ts) AS window_start_ms,
    first_seen_ms,
    last_seen_ms,
    requests,
    seen_in
FROM recent
WHERE in_window = peak AND peak > :threshold
GROUP BY client_ip, peak, first_seen_ms, last_seen_ms, requests, seen_in
ORDER BY requests_in_5_minutes DESC, client_ip
