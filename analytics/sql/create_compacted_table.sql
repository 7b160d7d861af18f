-- The compacted table: the raw schema plus the partition columns, as Iceberg on Parquet, so a
-- MERGE can add a day idempotently. Applied at deploy time (Athena DDL; Hive type syntax).
CREATE TABLE IF NOT EXISTS waf_logs_compacted (
    {{hive_columns}},
    account_id string,
    region string,
    stream_name string,
    hour string
)
PARTITIONED BY (account_id, region, stream_name, hour)
LOCATION '{{compacted_location}}'
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet', 'write_compression' = 'zstd')
