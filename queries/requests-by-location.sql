-- name: requests-by-location
-- description: Requests per account and Region, with how many were blocked and how many a rule only counted: where an attack landed.
-- param: from_hour = 2026/11/27/00 (first hour, yyyy/MM/dd/HH)
-- param: to_hour = 2026/11/27/23 (last hour, yyyy/MM/dd/HH)
--
-- counted: requests a rule in Count mode matched (nonTerminatingMatchingRules with action COUNT),
-- whatever the terminating action; a blocklist rule in response.mode count shows here. The
-- subscript is inside try(): Trino fails on [1] of an empty array, and try() makes that NULL.
SELECT
    account_id,
    region,
    count(*) AS requests,
    count_if(action = 'BLOCK') AS blocked,
    count_if(try(filter(nonterminatingmatchingrules, r -> r.action = 'COUNT')[1].action) IS NOT NULL) AS counted
FROM waf_logs
WHERE hour BETWEEN :from_hour AND :to_hour
GROUP BY 1, 2
ORDER BY requests DESC, account_id, region
