-- name: cross-account-attackers
-- description: Client IPs seen in several accounts or Regions with heavy traffic: what no single-account tool can show.
-- param: from_hour = 2026/11/27/00 (first hour, yyyy/MM/dd/HH)
-- param: to_hour = 2026/11/27/23 (last hour, yyyy/MM/dd/HH)
-- param: min_locations = 2 (distinct account/Region pairs an IP must appear in)
-- param: min_requests = 1000 (requests an IP must have made in all)
-- The minimums filter the grouped rows in an outer WHERE: Athena takes execution parameters only there.
SELECT client_ip, locations, accounts, requests, seen_in
FROM (
    SELECT
        httprequest.clientip AS client_ip,
        count(DISTINCT account_id || '/' || region) AS locations,
        count(DISTINCT account_id) AS accounts,
        count(*) AS requests,
        array_join(array_sort(array_agg(DISTINCT account_id || '/' || region)), ', ') AS seen_in
    FROM waf_logs
    WHERE hour BETWEEN :from_hour AND :to_hour
    GROUP BY 1
) AS per_ip
WHERE locations >= :min_locations AND requests >= :min_requests
ORDER BY locations DESC, requests DESC, client_ip
