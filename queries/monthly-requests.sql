-- name: monthly-requests
-- description: Requests per day, client IP, country, account, web ACL and Region: the security team's monthly view.
-- param: from_hour = 2026/11/01/00 (first hour, yyyy/MM/dd/HH)
-- param: to_hour = 2026/11/30/23 (last hour, yyyy/MM/dd/HH)
SELECT
    date_format(from_unixtime("timestamp" / 1000), '%Y-%m-%d') AS event_date,
    httprequest.clientip AS client_ip,
    httprequest.country AS country,
    account_id,
    regexp_extract(webaclid, 'webacl/([^/]+)/', 1) AS web_acl,
    region,
    count(*) AS requests
FROM waf_logs
WHERE hour BETWEEN :from_hour AND :to_hour
GROUP BY 1, 2, 3, 4, 5, 6
ORDER BY requests DESC, event_date, client_ip, account_id, region
