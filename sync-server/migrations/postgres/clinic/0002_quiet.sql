-- A clinic's statements are index lookups and inserts, each planned once per connection
-- (generic plans), so the tables' statistics change no plan. Each automatic ANALYZE of a
-- clinic's table did cost: it rewrote the statistics and so dropped every connection's
-- cached plans of that table. A fleet of young clinics crossing the default threshold (50
-- rows) together analyzed 800 tables a minute and pushes stalled for most of a second
-- (docs/BENCHMARKS.md, issue #18). Analyzed now once a table is a few days of a busy desk.
ALTER TABLE {schema}.changes SET (autovacuum_analyze_threshold = 10000);
ALTER TABLE {schema}.docs SET (autovacuum_analyze_threshold = 10000);
ALTER TABLE {schema}.blobs SET (autovacuum_analyze_threshold = 10000);
ALTER TABLE {schema}.quarantine SET (autovacuum_analyze_threshold = 10000);
-- Sealed bytes (sync-server/src/store/vault.rs) are random to a compressor: kept out of line
-- without trying to compress them first.
ALTER TABLE {schema}.changes ALTER COLUMN bytes SET STORAGE EXTERNAL;
ALTER TABLE {schema}.docs ALTER COLUMN bytes SET STORAGE EXTERNAL;
ALTER TABLE {schema}.blobs ALTER COLUMN bytes SET STORAGE EXTERNAL;
ALTER TABLE {schema}.quarantine ALTER COLUMN bytes SET STORAGE EXTERNAL;
