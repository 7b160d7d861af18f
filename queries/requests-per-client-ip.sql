-- name: requests-per-client-ip
-- description: Requests per 5-minute window for the busiest client IPs (up to 10, each with at least a tenth of the busiest IP's requests): the timeline behind a DDoS.
-- param: from_hour = 2026/11/27/00 (first hour, yyyy/MM/dd/HH)
-- param: to_hour = 2026/11/27/23 (last hour, yyyy/MM/dd/HH)
--
-- Which IPs: an IP is charted when every IP at least as busy fits in the 10 (so a tie at the cut
-- drops the whole tie rather than picking some of it alphabetically), and it made at least a tenth
-- of the busiest IP's requests (on an axis scaled to the busiest, a smaller series is flat on the floor).
WITH counted AS (
    SELECT
        httprequest.clientip AS client_ip,
        date_format(from_unixtime(("timestamp" - "timestamp" % 300000) / 1000), '%Y-%m-%d %H:%i') AS window_start,
        count(*) AS requests
    FROM waf_logs
    WHERE hour BETWEEN :from_hour AND :to_hour
    GROUP BY 1, 2
),
per_ip AS (
    SELECT client_ip, sum(requests) AS requests
    FROM counted
    GROUP BY client_ip
),
ranked AS (
    SELECT
        client_ip,
        requests,
        count(*) OVER (ORDER BY requests DESC RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS at_least_as_busy,
        max(requests) OVER () AS busiest
    FROM per_ip
),
busiest AS (
    SELECT client_ip
    FROM ranked
    WHERE at_least_as_busy <= 10 AND requests * 10 >= busiest
)
SELECT c.client_ip, c.window_start, c.requests
FROM counted c
JOIN busiest b ON b.client_ip = c.client_ip
ORDER BY c.window_start, c.client_ip
