-- The view every named query reads: compacted Parquet for the days compaction has done, raw JSON
-- for every other day. Compaction writes a whole day in one atomic MERGE, so each day comes from
-- exactly one side: nothing is counted twice, and a day whose compaction has not run (or failed)
-- is still read from the raw table.
CREATE OR REPLACE VIEW waf_logs AS
SELECT {{columns}}, account_id, region, stream_name, hour
FROM waf_logs_compacted
UNION ALL
SELECT {{columns}}, account_id, region, stream_name, hour
FROM waf_logs_raw
WHERE substr(hour, 1, 10) NOT IN (SELECT DISTINCT substr(hour, 1, 10) FROM waf_logs_compacted)
