-- Compacts one finished day, {{day}} (yyyy/MM/dd), from the raw JSON table into the compacted table.
-- Athena takes no execution parameters on MERGE, so the compaction function renders the day into
-- the text after checking it is a real date (handlers/compaction.ts); nothing else is pasted in.
-- Only rows the compacted table does not hold yet are inserted, so running a day twice changes
-- nothing; the table is partitioned by day, so a day is one partition written, whatever the number
-- of accounts and Regions (Athena writes at most 100 partitions per query).
MERGE INTO waf_logs_compacted t
USING (
    SELECT {{columns}}, account_id, region, stream_name, hour
    FROM waf_logs_raw
    WHERE hour BETWEEN '{{day}}/00' AND '{{day}}/23'
) s
ON t.hour = s.hour
    AND t.account_id = s.account_id
    AND t.region = s.region
    AND t.stream_name = s.stream_name
    AND t."timestamp" = s."timestamp"
    AND coalesce(t.httprequest.requestid, '') = coalesce(s.httprequest.requestid, '')
    AND coalesce(t.httprequest.clientip, '') = coalesce(s.httprequest.clientip, '')
WHEN NOT MATCHED THEN INSERT ({{columns}}, account_id, region, stream_name, hour)
    VALUES ({{source_columns}}, s.account_id, s.region, s.stream_name, s.hour)
