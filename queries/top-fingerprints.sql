-- name: top-fingerprints
-- description: The 25 JA4 TLS fingerprints behind the most distinct client IPs and requests across accounts, with where each was seen: one client stack behind many addresses.
-- param: from_hour = 2026/11/27/00 (first hour, yyyy/MM/dd/HH)
-- param: to_hour = 2026/11/27/23 (last hour, yyyy/MM/dd/HH)
--
-- A JA4 is a hash of the client's TLS hello: browsers of one version share one, so a fingerprint
-- behind many addresses is normal for them; one behind many addresses that few browsers send
-- (a residential-proxy botnet, a scraper fleet) is the signal. WAF logs it for CloudFront and ALB.
SELECT
    ja4fingerprint AS ja4,
    count(DISTINCT httprequest.clientip) AS client_ips,
    count(*) AS requests,
    count_if(action = 'BLOCK') AS blocked,
    count(DISTINCT ja3fingerprint) AS ja3_variants,
    count(DISTINCT account_id) AS accounts,
    array_join(array_sort(array_agg(DISTINCT account_id || '/' || region)), ', ') AS seen_in
FROM waf_logs
WHERE hour BETWEEN :from_hour AND :to_hour AND ja4fingerprint <> ''
GROUP BY 1
ORDER BY client_ips DESC, requests DESC, ja4
LIMIT 25
