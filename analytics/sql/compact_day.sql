-- Compacts the finished day before ? (an ISO 8601 time; the scheduler passes its own scheduled
-- time) from the raw JSON table into the compacted table. Only rows the compacted table does not
-- hold yet are inserted, so running a day twice changes nothing.
MERGE INTO waf_logs_compacted t
USING (
    SELECT {{columns}}, account_id, region, stream_name, hour
    FROM waf_logs_raw
    WHERE hour BETWEEN date_format(from_iso8601_timestamp(?) - INTERVAL '1' DAY, '%Y/%m/%d') || '/00'
                   AND date_format(from_iso8601_timestamp(?) - INTERVAL '1' DAY, '%Y/%m/%d') || '/23'
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
