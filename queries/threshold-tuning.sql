-- name: threshold-tuning
-- description: For candidate rate limits, how many client IPs and requests a 5-minute per-IP rate-based rule would have blocked in each hour, with the percentiles of each IP's busiest 5 minutes: pick waf.rateLimit from your own history before enforcing it.
-- param: from_hour = 2026/11/27/00 (first hour, yyyy/MM/dd/HH)
-- param: to_hour = 2026/11/27/23 (last hour, yyyy/MM/dd/HH)
-- param: thresholds = 100,500,1000,2000,5000,10000 (candidate limits, requests per IP in 5 minutes, comma-separated)
--
-- The rule is modelled as WAF's rate-based rule (first in the web ACL, so it sees every request):
-- a request is blocked when its IP's requests in the 5 minutes ending with it exceed the limit.
-- WAF reacts within seconds rather than at once, so the blocked figures are an upper bound; and
-- only logged requests count (see waf.logActions). The candidate limits are a parameter, not a
-- fixed ladder, because a useful ladder depends on the traffic; the example brackets the default
-- waf.rateLimit (2000) from a twentieth to five times. A list cannot be an execution parameter (Athena
-- takes those only in WHERE), so the limits are rendered into the text as checked whole numbers.
-- The logs are read and counted per IP exactly as in burst-detection.sql (the same per_ip text),
-- and the window is the same 5-minute count seen from its end. Unnesting each IP's timestamps
-- before the window, rather than windowing the scan, keeps the window's rows narrow: measured at
-- 5M records, a fifth of the memory and half the CPU.
WITH per_ip AS (
    SELECT
        httprequest.clientip AS client_ip,
        count(*) AS requests,
        array_agg("timestamp") AS times
    FROM waf_logs
    WHERE hour BETWEEN :from_hour AND :to_hour
    GROUP BY 1
),
per_request AS (
    SELECT
        p.client_ip,
        t.ts,
        -- Requests of this IP in the 5 minutes ending at this request (300,000 ms, both ends in).
        count(*) OVER (
            PARTITION BY p.client_ip
            ORDER BY t.ts
            RANGE BETWEEN 299999 PRECEDING AND CURRENT ROW
        ) AS in_window
    FROM per_ip p
    CROSS JOIN UNNEST(p.times) AS t (ts)
),
per_level AS (
    SELECT
        date_format(from_unixtime(ts / 1000), '%Y-%m-%d %H:00') AS hour_start,
        client_ip,
        in_window,
        count(*) AS requests
    FROM per_request
    GROUP BY 1, 2, 3
),
per_limit AS (
    SELECT
        l.hour_start,
        c.threshold,
        l.client_ip,
        max(l.in_window) AS busiest_5_minutes,
        sum(l.requests) AS requests,
        sum(CASE WHEN l.in_window > c.threshold THEN l.requests ELSE 0 END) AS blocked
    FROM per_level l
    CROSS JOIN (
        SELECT DISTINCT CAST(t.threshold AS bigint) AS threshold
        FROM UNNEST(ARRAY[{{thresholds}}]) AS t (threshold)
    ) AS c
    GROUP BY 1, 2, 3
)
SELECT
    hour_start,
    threshold,
    count_if(blocked > 0) AS client_ips_blocked,
    CAST(sum(blocked) AS bigint) AS requests_blocked,
    count(*) AS client_ips,
    CAST(sum(requests) AS bigint) AS requests,
    approx_percentile(busiest_5_minutes, 0.5) AS p50_5_minutes,
    approx_percentile(busiest_5_minutes, 0.95) AS p95_5_minutes,
    approx_percentile(busiest_5_minutes, 0.99) AS p99_5_minutes,
    max(busiest_5_minutes) AS max_5_minutes
FROM per_limit
GROUP BY 1, 2
ORDER BY hour_start, threshold
