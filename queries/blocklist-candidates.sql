-- name: blocklist-candidates
-- description: What the detector blocks: client IPs over a threshold in a 5-minute window starting at or after a given time, with their peak window, first and last request, every account/Region they hit in the searched hours, and each account's own busiest 5 minutes (the evidence that decides where they are blocked). Records whose time lies outside their partition's hour (give or take a slack) are not counted.
-- param: from_hour = 2026/11/27/10 (first hour partition searched, yyyy/MM/dd/HH; the hour the earliest window starts in)
-- param: to_hour = 2026/11/27/11 (last hour partition searched, yyyy/MM/dd/HH; the current hour)
-- param: slack_ms = 900000 (milliseconds a record's time may lie outside its partition's hour, either side: Firehose buffering)
-- param: since_ms = 1795775400000 (epoch milliseconds; only 5-minute windows starting at or after this count)
-- param: threshold = 1000 (requests in 5 minutes above which a client IP is blocked)
--
-- burst-detection's window, so the detector blocks exactly what forensics reports, with two
-- guards against records an account forged: a record counts only when its own time lies within
-- the hour of the partition it was filed under, give or take slack_ms (an account's admin can
-- write any timestamp, but not the partition the central bucket files it under), and the evidence
-- column gives each account's own busiest 5 minutes, so the detector can tell one account's
-- evidence from several accounts'. Every parameter stands in a WHERE clause (Athena's rule for
-- execution parameters). Each CTE is read once (Athena inlines a CTE at each reference, scan
-- included); what later steps need rides along.
WITH per_location AS (
    SELECT
        httprequest.clientip AS client_ip,
        account_id,
        region,
        count(*) AS requests,
        min("timestamp") AS first_seen_ms,
        max("timestamp") AS last_seen_ms,
        array_agg("timestamp") AS times
    FROM waf_logs
    WHERE hour BETWEEN :from_hour AND :to_hour
        AND date_format(from_unixtime(("timestamp" + :slack_ms) / 1000), '%Y/%m/%d/%H') >= hour
        AND date_format(from_unixtime(("timestamp" - :slack_ms) / 1000), '%Y/%m/%d/%H') <= hour
    GROUP BY 1, 2, 3
),
per_ip AS (
    SELECT
        client_ip,
        account_id,
        times,
        sum(requests) OVER (PARTITION BY client_ip) AS requests,
        min(first_seen_ms) OVER (PARTITION BY client_ip) AS first_seen_ms,
        max(last_seen_ms) OVER (PARTITION BY client_ip) AS last_seen_ms,
        array_join(array_sort(array_agg(account_id || '/' || region) OVER (PARTITION BY client_ip)), ',') AS seen_in
    FROM per_location
),
candidates AS (
    SELECT client_ip, account_id, times, requests, first_seen_ms, last_seen_ms, seen_in
    FROM per_ip
    WHERE requests > :threshold
),
per_request AS (
    SELECT
        c.client_ip,
        c.account_id,
        c.requests,
        c.first_seen_ms,
        c.last_seen_ms,
        c.seen_in,
        t.ts,
        count(*) OVER (
            PARTITION BY c.client_ip
            ORDER BY t.ts
            RANGE BETWEEN CURRENT ROW AND 299999 FOLLOWING
        ) AS in_window,
        count(*) OVER (
            PARTITION BY c.client_ip, c.account_id
            ORDER BY t.ts
            RANGE BETWEEN CURRENT ROW AND 299999 FOLLOWING
        ) AS in_account_window
    FROM candidates c
    CROSS JOIN UNNEST(c.times) AS t (ts)
),
recent AS (
    SELECT
        client_ip,
        account_id,
        requests,
        first_seen_ms,
        last_seen_ms,
        seen_in,
        ts,
        in_window,
        max(in_window) OVER (PARTITION BY client_ip) AS peak,
        max(in_account_window) OVER (PARTITION BY client_ip, account_id) AS account_peak
    FROM per_request
    WHERE ts >= :since_ms
),
per_client AS (
    SELECT
        client_ip,
        peak AS requests_in_5_minutes,
        min(CASE WHEN in_window = peak THEN ts END) AS window_start_ms,
        first_seen_ms,
        last_seen_ms,
        requests,
        seen_in,
        array_join(array_sort(array_agg(DISTINCT account_id || ':' || CAST(account_peak AS varchar))), ',') AS evidence
    FROM recent
    GROUP BY client_ip, peak, first_seen_ms, last_seen_ms, requests, seen_in
)
SELECT client_ip, requests_in_5_minutes, window_start_ms, first_seen_ms, last_seen_ms, requests, seen_in, evidence
FROM per_client
WHERE requests_in_5_minutes > :threshold
ORDER BY requests_in_5_minutes DESC, client_ip
