-- name: blocked-by-rule
-- description: Blocked requests by terminating rule, with the number of distinct client IPs each rule stopped.
-- param: from_hour = 2026/11/27/00 (first hour, yyyy/MM/dd/HH)
-- param: to_hour = 2026/11/27/23 (last hour, yyyy/MM/dd/HH)
SELECT
    terminatingruleid AS terminating_rule,
    terminatingruletype AS rule_type,
    count(*) AS blocked,
    count(DISTINCT httprequest.clientip) AS client_ips
FROM waf_logs
WHERE hour BETWEEN :from_hour AND :to_hour AND action = 'BLOCK'
GROUP BY 1, 2
ORDER BY blocked DESC, terminating_rule
