-- walrus-indexer (issue 9): cheaper backfills. Every secondary index costs a random insert per
-- row during a backfill (the keys below are random 32-byte ids, so each insert touches a cold
-- page). These four are read by neither the indexer nor the GraphQL API
-- (graphql/tests/plans.rs checks that every GraphQL listing still reads through an index):
--
-- * transactions_digest: no lookup by digest exists (the indexer reads transactions by cursor).
--   A tool that needs one can build it after a backfill:
--   CREATE INDEX CONCURRENTLY transactions_digest ON transactions USING HASH (digest);
-- * events_blob_id: a blob id's events are read through its objects (events_object_id).
-- * blobs_owner: blobs_owner_created (owner, created_cursor, object_id) serves every owner query.
-- * blobs_status: blobs_status_created and blobs_status_sizes serve every status query.
DROP INDEX IF EXISTS transactions_digest;
DROP INDEX IF EXISTS events_blob_id;
DROP INDEX IF EXISTS blobs_owner;
DROP INDEX IF EXISTS blobs_status;
