-- The compacted table: the raw schema plus the partition columns, as Iceberg on Parquet, so a
-- MERGE can add a day idempotently. Applied at deploy time (Athena DDL; Hive type syntax).
-- Partitioned by day through Iceberg's hidden truncate transform (the first 10 characters of
-- hour, yyyy/MM/dd): a day's compaction writes one partition however many accounts and Regions
-- there are (Athena writes at most 100 per query; by account/Region/stream/hour a day was
-- 24 x the pairs), and Iceberg still prunes days from the queries' hour BETWEEN filters.
-- Its files are retired by Iceberg, never by a bucket lifecycle rule: the weekly VACUUM removes
-- snapshots older than a week (keeping at least one) and the files only they referenced.
CREATE TABLE IF NOT EXISTS waf_logs_compacted (
    {{hive_columns}},
    account_id string,
    region string,
    stream_name string,
    hour string
)
PARTITIONED BY (truncate(10, hour))
LOCATION '{{compacted_location}}'
TBLPROPERTIES (
    'table_type' = 'ICEBERG', 'format' = 'parquet', 'write_compression' = 'zstd',
    'vacuum_max_snapshot_age_seconds' = '604800', 'vacuum_min_snapshots_to_keep' = '1'
)
