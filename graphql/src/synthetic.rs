//! Synthetic index contents for benchmarks and plan tests: rows in the indexer's schema made by
//! SQL (`generate_series`), far faster than indexing a devnet with as many transactions. The
//! values are plausible, not a real chain's: ids are `md5(kind || n) || md5(kind || '/' || n)`
//! (random-looking, as object ids are; owner `n` is `owner` n), statuses follow the
//! epochs, positions and rates are arithmetic. Never use it on a real index: it writes a
//! watermark.

use sqlx::PgPool;

/// How much to make.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Blob objects (one event each, one `blob_status` row per blob id; every 10th blob id is
    /// shared by two objects).
    pub blobs: i64,
    /// Staking pools (the first 30 form the committee).
    pub pools: i64,
    /// Epochs (1..=epochs; the watermark is in the last).
    pub epochs: i32,
    /// Delegators' positions.
    pub positions: i64,
    /// Distinct owners of blobs and positions.
    pub owners: i64,
}

impl Default for Sizes {
    fn default() -> Self {
        Self {
            blobs: 1_000_000,
            pools: 100,
            epochs: 30,
            positions: 100_000,
            owners: 10_000,
        }
    }
}

/// Fills an empty, migrated database. Returns the watermark cursor written.
pub async fn populate(pool: &PgPool, s: Sizes) -> Result<i64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let last = s.epochs;
    let cursor = s.blobs * 2 + 1_000;
    let statements: Vec<(&str, Vec<i64>)> = vec![
        (
            "INSERT INTO epochs (epoch, start_ms, change_done_ms, params_selected_ms, storage_price, write_price, \
               total_capacity, used_capacity, n_shards, epoch_duration_ms, total_stake, rewards_total, \
               commission_total, epoch_state, last_cursor) \
             SELECT e, 1700000000000 + (e - 1) * 3600000, 1700000000000 + (e - 1) * 3600000 + 60000, \
               CASE WHEN e < $1 THEN 1700000000000 + (e - 1) * 3600000 + 1800000 END, 1000, 2000, \
               1099511627776 * 30, 1000000000::bigint * e, 1000, 3600000, 30 * 100000000000, \
               CASE WHEN e < $1 THEN 1000000000 END, CASE WHEN e < $1 THEN 100000000 END, 'done', e \
             FROM generate_series(1, $1::int) AS e",
            vec![i64::from(last)],
        ),
        (
            "INSERT INTO pools (node_id, name, network_address, public_key, network_public_key, image_url, \
               project_url, description, extra_fields, storage_price_vote, write_price_vote, node_capacity_vote, \
               commission_rate, pending_commission_rate, activation_epoch, latest_epoch, wal_balance, num_shares, \
               pending_stake, pending_shares_withdraw, pre_active_withdrawals, rewards_pool, commission, \
               commission_receiver, governance_authorized, exchange_rates_id, bcs, stake_next_epoch, \
               stake_after_next_epoch, state, shards, next_shards, in_active_set, apy, created_cursor, last_cursor) \
             SELECT decode(md5('pool' || p) || md5('pool/' || p), 'hex'), 'node-' || p, '10.0.0.' || p || ':9000', \
               '\\x00', '\\x00', '', '', 'synthetic pool', '{}', 1000, 2000, 1099511627776, \
               (p * 37) % 2000, '[]', 1, $2, 100000000000 + p * 1000000000, 100000000000, '[]', '[]', '[]', \
               p * 1000, p * 100, '{\"Address\": \"0x0\"}', '{}', decode(md5('rates' || p) || md5('rates/' || p), 'hex'), \
               '\\x00', 100000000000 + p * 1000000000, 100000000000 + p * 1000000000, \
               CASE WHEN p <= 30 THEN 'committee' ELSE 'active_set' END, CASE WHEN p <= 30 THEN 33 ELSE 0 END, \
               CASE WHEN p <= 30 THEN 33 ELSE 0 END, true, 0.01 * (p % 17), 1, 1 \
             FROM generate_series(1, $1) AS p",
            vec![s.pools, i64::from(last)],
        ),
        (
            "INSERT INTO pool_exchange_rates (node_id, epoch, flat, wal_amount, share_amount, rate, apy, last_cursor) \
             SELECT decode(md5('pool' || p) || md5('pool/' || p), 'hex'), e, e = 1, \
               1000000 + e * (p % 17), 1000000, (1000000 + e * (p % 17))::float8 / 1000000, \
               CASE WHEN e > 1 THEN 0.01 * (p % 17) END, e \
             FROM generate_series(1, $1) AS p, generate_series(1, $2::int) AS e",
            vec![s.pools, i64::from(last)],
        ),
        (
            "INSERT INTO pool_epochs (node_id, epoch, stake, rewards, commission, commission_rate, shards, last_cursor) \
             SELECT decode(md5('pool' || p) || md5('pool/' || p), 'hex'), e, 100000000000 + p * 1000000000, \
               CASE WHEN e < $2 THEN 1000000 * (p % 17) END, CASE WHEN e < $2 THEN 100000 * (p % 17) END, \
               (p * 37) % 2000, CASE WHEN p <= 30 THEN 33 ELSE 0 END, e \
             FROM generate_series(1, $1) AS p, generate_series(1, $2::int) AS e",
            vec![s.pools, i64::from(last)],
        ),
        (
            "INSERT INTO committee_members (epoch, node_id, shards, weight, stake, last_cursor) \
             SELECT e, decode(md5('pool' || p) || md5('pool/' || p), 'hex'), \
               ARRAY(SELECT generate_series((p - 1) * 33, p * 33 - 1)), 33, 100000000000 + p * 1000000000, e \
             FROM generate_series(1, LEAST($1, 30)) AS p, generate_series(1, $2::int) AS e",
            vec![s.pools, i64::from(last)],
        ),
        (
            // Blob i: registered at created cursor 2i, in epoch 1 + i * epochs / blobs; every
            // 10th blob id is shared with blob i - 1; sizes and lifetimes vary.
            "INSERT INTO blobs (object_id, blob_id, owner_kind, owner, size, encoding_type, registered_epoch, \
               certified_epoch, end_epoch, storage_id, storage_start_epoch, storage_size, deletable, deleted, \
               deleted_epoch, burned, invalid, attributes, status, version, registered_cursor, certified_cursor, \
               created_cursor, last_cursor) \
             SELECT decode(md5('blob' || i) || md5('blob/' || i), 'hex'), \
               decode(md5('id' || (i - (i % 10 = 0)::int)) || md5('id/' || (i - (i % 10 = 0)::int)), 'hex'), \
               'address', decode(md5('owner' || (i % $3)) || md5('owner/' || (i % $3)), 'hex'), \
               1 + (i * 7919) % 10000000, 1, r, CASE WHEN i % 7 <> 0 THEN r END, r + 1 + i % 40, \
               decode(md5('storage' || i) || md5('storage/' || i), 'hex'), r, \
               (1 + (i * 7919) % 10000000) * 5, i % 3 = 0, i % 50 = 0, CASE WHEN i % 50 = 0 THEN r END, false, false, \
               CASE WHEN i % 5 = 0 THEN jsonb_build_object('content-type', CASE WHEN i % 2 = 0 THEN 'text/plain' ELSE 'image/png' END) END, \
               CASE WHEN i % 50 = 0 THEN 'deleted' WHEN r + 1 + i % 40 <= $2 THEN 'expired' \
                    WHEN i % 7 = 0 THEN 'registered' ELSE 'certified' END, \
               1, 2 * i, CASE WHEN i % 7 <> 0 THEN 2 * i + 1 END, 2 * i, 2 * i + 1 \
             FROM (SELECT i, 1 + ((i - 1) * $2 / $1)::int AS r FROM generate_series(1, $1) AS i) AS g",
            vec![s.blobs, i64::from(last), s.owners],
        ),
        (
            "INSERT INTO blob_status (blob_id, status, objects_total, deletable_total, deletable_certified, \
               permanent_total, permanent_certified, end_epoch, permanent_end_epoch, initial_certified_epoch, last_cursor) \
             SELECT blob_id, CASE WHEN bool_or(status = 'certified') THEN 'certified' \
                 WHEN bool_or(status = 'registered') THEN 'registered' \
                 WHEN bool_and(status = 'deleted') THEN 'deleted' ELSE 'expired' END, \
               count(*), count(*) FILTER (WHERE deletable AND status IN ('registered', 'certified')), \
               count(*) FILTER (WHERE deletable AND status = 'certified'), \
               count(*) FILTER (WHERE NOT deletable AND status IN ('registered', 'certified')), \
               count(*) FILTER (WHERE NOT deletable AND status = 'certified'), max(end_epoch), \
               max(end_epoch) FILTER (WHERE NOT deletable), min(certified_epoch), max(last_cursor) \
             FROM blobs GROUP BY blob_id",
            vec![],
        ),
        (
            "INSERT INTO events (cursor, event_index, tx_digest, event_type, event_name, bcs, decoded, decode_status, \
               epoch, blob_id, object_id) \
             SELECT created_cursor, 0, object_id, '0x1::events::BlobRegistered', 'events::BlobRegistered', '\\x00', \
               jsonb_build_object('size', size, 'end_epoch', end_epoch), 'decoded', registered_epoch, blob_id, object_id \
             FROM blobs",
            vec![],
        ),
        (
            "INSERT INTO staked_wal (object_id, owner, node_id, principal, activation_epoch, state, withdraw_epoch, \
               status, value, reward, deleted, created_cursor, last_cursor) \
             SELECT decode(md5('stake' || i) || md5('stake/' || i), 'hex'), \
               decode(md5('owner' || (i % $2)) || md5('owner/' || (i % $2)), 'hex'), \
               decode(md5('pool' || (1 + i % $3)) || md5('pool/' || (1 + i % $3)), 'hex'), \
               1000000000 * (1 + i % 100), 1 + i % $4, CASE WHEN i % 10 = 0 THEN 'withdrawing' ELSE 'staked' END, \
               CASE WHEN i % 10 = 0 THEN $4 + 1 END, \
               CASE WHEN i % 10 = 0 THEN 'withdrawing' WHEN 1 + i % $4 > $4 - 1 THEN 'pending' ELSE 'active' END, \
               1000000000 * (1 + i % 100) + 1000 * (i % 1000), 1000 * (i % 1000), false, i, i \
             FROM generate_series(1, $1) AS i",
            vec![s.positions, s.owners, s.pools, i64::from(last)],
        ),
        (
            "INSERT INTO watermarks (pipeline, cursor_hi, epoch_hi, timestamp_ms_hi) \
             VALUES ('walrus', $1, $2, 1700000000000 + ($2 - 1) * 3600000 + 100000) \
             ON CONFLICT (pipeline) DO UPDATE SET cursor_hi = EXCLUDED.cursor_hi, epoch_hi = EXCLUDED.epoch_hi, \
               timestamp_ms_hi = EXCLUDED.timestamp_ms_hi",
            vec![cursor, i64::from(last)],
        ),
    ];
    for (sql, binds) in statements {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for b in binds {
            q = q.bind(b);
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    sqlx::query("ANALYZE").execute(pool).await?;
    Ok(cursor)
}
