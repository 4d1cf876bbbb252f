-- walrus-graphql (issue 10): indexes for the API's list queries. Additive only: the indexer
-- neither reads nor depends on them.

-- blobs(filter: {owner}) in registration order (the default order).
CREATE INDEX blobs_owner_created ON blobs (owner, created_cursor, object_id) WHERE owner IS NOT NULL;
-- blobs(filter: {status}) in registration order.
CREATE INDEX blobs_status_created ON blobs (status, created_cursor, object_id);
-- network totals: an index-only scan instead of reading the table.
CREATE INDEX blobs_status_sizes ON blobs (status) INCLUDE (size, storage_size);
-- delegator(address).positions and totals.
CREATE INDEX staked_wal_owner_live ON staked_wal (owner, object_id) INCLUDE (principal, value, reward) WHERE owner IS NOT NULL AND NOT deleted;
