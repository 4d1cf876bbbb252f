-- walrus-indexer schema (issue 9). Written by `walrus indexer` only; read by GraphQL and tools.
--
-- Conventions
-- * Positions in the transaction stream are `cursor` values (BIGINT, 1, 2, ...). Every row carries
--   `last_cursor`: the cursor of the transaction that last changed it (state tables also keep
--   `created_cursor`). A reader that wants one consistent view reads `watermarks.cursor_hi` and
--   the rows in the same snapshot (the indexer writes rows and watermark in one transaction).
-- * Object ids, addresses, digests, blob ids and keys are raw bytes (BYTEA): 32 bytes for ids,
--   addresses, digests and blob ids (the blob id's bytes, whose text form is base64url).
-- * FROST amounts bounded by the WAL supply (5e18 < 2^63) are BIGINT. Arbitrary Move u64 values
--   that nodes vote on (prices, capacities) and u128 exchange-rate amounts are NUMERIC.
-- * Epochs are INTEGER.
-- * Nothing is deleted except consumed `Storage` objects (their data lives on in the blob that
--   wrapped them); deleted blobs, withdrawn stakes, and so on keep their rows with a flag.

-- One row per pipeline: the last transaction whose effects are fully in the tables.
CREATE TABLE watermarks (
    pipeline        TEXT PRIMARY KEY,
    cursor_hi       BIGINT  NOT NULL,   -- last committed cursor (inclusive); 0 = nothing yet
    epoch_hi        INTEGER NOT NULL,   -- Walrus epoch after cursor_hi
    timestamp_ms_hi BIGINT  NOT NULL    -- ledger time of cursor_hi (ms since the Unix epoch)
);

-- Every executed transaction, successful or aborted.
CREATE TABLE transactions (
    cursor         BIGINT PRIMARY KEY,
    digest         BYTEA   NOT NULL,
    sender         BYTEA   NOT NULL,
    timestamp_ms   BIGINT  NOT NULL,
    success        BOOLEAN NOT NULL,
    failure        JSONB,               -- {"module", "code", "reason"} when aborted
    event_count    INTEGER NOT NULL,
    change_count   INTEGER NOT NULL
);
-- Lookup by digest (hash: equality only, smaller than a B-tree on 32 random bytes).
CREATE INDEX transactions_digest ON transactions USING HASH (digest);

-- Every event, raw (type + BCS) and, when it decodes, as JSON. Events that do not decode or
-- whose type the indexer does not know are kept here with `decode_status` saying so.
CREATE TABLE events (
    cursor         BIGINT   NOT NULL,
    event_index    INTEGER  NOT NULL,
    tx_digest      BYTEA    NOT NULL,
    event_type     TEXT     NOT NULL,   -- full Move type, e.g. 0x…::events::BlobRegistered
    event_name     TEXT     NOT NULL,   -- module::Name, independent of the package address
    bcs            BYTEA    NOT NULL,
    decoded        JSONB,               -- NULL unless decode_status = 'decoded'
    decode_status  TEXT     NOT NULL CHECK (decode_status IN ('decoded', 'unknown_type', 'decode_failed')),
    decode_error   TEXT,
    epoch          INTEGER,             -- the event's own epoch field, when it has one
    blob_id        BYTEA,               -- for blob events
    object_id      BYTEA,               -- the Blob object of blob events
    PRIMARY KEY (cursor, event_index)
);
-- A Blob object's events, paginated (object_id, cursor, event_index); a blob id's events.
CREATE INDEX events_object_id ON events (object_id, cursor, event_index) WHERE object_id IS NOT NULL;
CREATE INDEX events_blob_id ON events (blob_id, cursor, event_index) WHERE blob_id IS NOT NULL;
-- Events that are not blob events (epochs, prices, shards, unknown types), by name.
CREATE INDEX events_other ON events (event_name, cursor, event_index) WHERE blob_id IS NULL;
CREATE INDEX events_not_decoded ON events (cursor, event_index) WHERE decode_status <> 'decoded';

-- Object changes the indexer recognised by type but could not decode (never a silent gap).
CREATE TABLE object_decode_failures (
    cursor         BIGINT  NOT NULL,
    object_id      BYTEA   NOT NULL,
    object_type    TEXT    NOT NULL,
    change_kind    TEXT    NOT NULL,
    contents       BYTEA,
    error          TEXT    NOT NULL,
    PRIMARY KEY (cursor, object_id)
);

-- Status of one Blob object from its fields and the epoch (the same rule the indexer applies
-- when it writes `blobs.status`; usable for "status at epoch e").
CREATE FUNCTION blob_object_status(
    deleted BOOLEAN, burned BOOLEAN, invalid BOOLEAN,
    certified_epoch INTEGER, end_epoch INTEGER, epoch INTEGER
) RETURNS TEXT LANGUAGE SQL IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN deleted THEN 'deleted'
        WHEN burned THEN 'burned'
        WHEN invalid THEN 'invalid'
        WHEN end_epoch <= epoch THEN 'expired'
        WHEN certified_epoch IS NOT NULL AND certified_epoch <= epoch THEN 'certified'
        ELSE 'registered'
    END
$$;

-- Status of one Blob object at epoch `e`, from the epochs of its transitions (its current end
-- epoch, i.e. with the extensions made so far): nonexistent before registration, then
-- registered, certified, and expired from the end epoch, unless deleted, burned or invalidated
-- earlier.
CREATE FUNCTION blob_status_at(
    registered_epoch INTEGER, certified_epoch INTEGER, end_epoch INTEGER,
    deleted_epoch INTEGER, burned_epoch INTEGER, invalid_epoch INTEGER, e INTEGER
) RETURNS TEXT LANGUAGE SQL IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN e < registered_epoch THEN 'nonexistent'
        WHEN deleted_epoch <= e THEN 'deleted'
        WHEN burned_epoch <= e THEN 'burned'
        WHEN invalid_epoch <= e THEN 'invalid'
        WHEN end_epoch <= e THEN 'expired'
        WHEN certified_epoch <= e THEN 'certified'
        ELSE 'registered'
    END
$$;

-- Blob objects (`blob::Blob`), also while wrapped in a `shared_blob::SharedBlob`.
CREATE TABLE blobs (
    object_id             BYTEA PRIMARY KEY,
    blob_id               BYTEA    NOT NULL,
    owner_kind            TEXT     NOT NULL CHECK (owner_kind IN ('address', 'shared', 'object', 'immutable', 'none')),
    owner                 BYTEA,             -- the owning address ('address') or parent object ('object')
    shared_blob_id        BYTEA,             -- the SharedBlob wrapping it (owner_kind = 'shared')
    shared_funds          BIGINT,            -- FROST in the SharedBlob's tip jar
    size                  BIGINT   NOT NULL, -- unencoded bytes
    encoding_type         SMALLINT NOT NULL,
    registered_epoch      INTEGER  NOT NULL,
    certified_epoch       INTEGER,
    end_epoch             INTEGER  NOT NULL, -- exclusive: expired from this epoch on
    storage_id            BYTEA    NOT NULL,
    storage_start_epoch   INTEGER  NOT NULL,
    storage_size          BIGINT   NOT NULL, -- encoded bytes reserved
    deletable             BOOLEAN  NOT NULL,
    deleted               BOOLEAN  NOT NULL, -- deleted by its owner (BlobDeleted)
    deleted_epoch         INTEGER,
    burned                BOOLEAN  NOT NULL, -- object destroyed without BlobDeleted (blob::burn)
    burned_epoch          INTEGER,
    invalid               BOOLEAN  NOT NULL, -- its blob id was marked invalid (InvalidBlobID)
    invalid_epoch         INTEGER,
    attributes            JSONB,             -- {"key": "value", ...} or NULL when it has none
    attributes_field_id   BYTEA,             -- the dynamic field holding them (to follow its removal)
    status                TEXT     NOT NULL, -- blob_object_status(...) at the epoch of last_cursor
    version               BIGINT   NOT NULL,
    registered_cursor     BIGINT   NOT NULL,
    certified_cursor      BIGINT,            -- first certification
    deleted_cursor        BIGINT,
    last_event_cursor     BIGINT,            -- last blob event about this object
    last_event_index      INTEGER,
    created_cursor        BIGINT   NOT NULL,
    last_cursor           BIGINT   NOT NULL
);
CREATE INDEX blobs_blob_id ON blobs (blob_id, object_id);
CREATE INDEX blobs_owner ON blobs (owner, object_id) WHERE owner IS NOT NULL;
CREATE INDEX blobs_end_epoch ON blobs (end_epoch, object_id);
CREATE INDEX blobs_certified_epoch ON blobs (certified_epoch, object_id) WHERE certified_epoch IS NOT NULL;
CREATE INDEX blobs_size ON blobs (size, object_id);
CREATE INDEX blobs_status ON blobs (status, object_id);
CREATE INDEX blobs_created ON blobs (created_cursor, object_id);
CREATE INDEX blobs_shared ON blobs (shared_blob_id) WHERE shared_blob_id IS NOT NULL;
CREATE INDEX blobs_attributes ON blobs USING GIN (attributes) WHERE attributes IS NOT NULL;
CREATE INDEX blobs_attributes_field ON blobs (attributes_field_id) WHERE attributes_field_id IS NOT NULL;

-- Per blob id: the aggregate a storage node keeps (Walrus `BlobStatus`), over the objects that
-- were not deleted and have not expired. Burned objects still count (burning leaves no event,
-- and the data stays stored until the end epoch).
CREATE TABLE blob_status (
    blob_id                  BYTEA PRIMARY KEY,
    status                   TEXT    NOT NULL CHECK (status IN ('registered', 'certified', 'expired', 'deleted', 'invalid')),
    objects_total            INTEGER NOT NULL, -- every object ever registered with this blob id
    deletable_total          INTEGER NOT NULL, -- live deletable objects
    deletable_certified      INTEGER NOT NULL,
    permanent_total          INTEGER NOT NULL, -- live permanent objects
    permanent_certified      INTEGER NOT NULL,
    end_epoch                INTEGER,          -- max end epoch of the live certified objects, else of the live ones
    permanent_end_epoch      INTEGER,          -- max end epoch of the live certified permanent objects
    initial_certified_epoch  INTEGER,          -- min certified epoch of the live certified objects
    status_event_cursor      BIGINT,           -- the event behind the status (Walrus `status_event`)
    status_event_index       INTEGER,
    invalid_epoch            INTEGER,
    invalid_event_cursor     BIGINT,
    invalid_event_index      INTEGER,
    last_cursor              BIGINT  NOT NULL
);

-- Storage resources (`storage_resource::Storage`) as top-level objects. A Storage consumed by
-- `register_blob`, a fuse, an extension or `destroy` is removed.
CREATE TABLE storage_resources (
    object_id       BYTEA PRIMARY KEY,
    owner_kind      TEXT    NOT NULL,
    owner           BYTEA,
    start_epoch     INTEGER NOT NULL,
    end_epoch       INTEGER NOT NULL,
    storage_size    BIGINT  NOT NULL,
    version         BIGINT  NOT NULL,
    created_cursor  BIGINT  NOT NULL,
    last_cursor     BIGINT  NOT NULL
);
CREATE INDEX storage_resources_owner ON storage_resources (owner, object_id) WHERE owner IS NOT NULL;
CREATE INDEX storage_resources_end_epoch ON storage_resources (end_epoch, object_id);

-- The latest System and staking states (dynamic fields `1u64` of `System` and `Staking`), raw.
CREATE TABLE chain_state (
    key            TEXT PRIMARY KEY CHECK (key IN ('system_inner', 'staking_inner')),
    bcs            BYTEA  NOT NULL,      -- BCS of the dynamic field Field<u64, ...InnerV1>
    last_cursor    BIGINT NOT NULL
);

-- Epochs: timeline, prices, capacity, stake and rewards.
CREATE TABLE epochs (
    epoch                 INTEGER PRIMARY KEY,
    start_ms              BIGINT,           -- EpochChangeStart (ledger time)
    start_cursor          BIGINT,
    change_done_ms        BIGINT,           -- EpochChangeDone (quorum synced)
    change_done_cursor    BIGINT,
    params_selected_ms    BIGINT,           -- EpochParametersSelected for epoch + 1 (committee selection)
    params_selected_cursor BIGINT,
    storage_price         NUMERIC(20, 0),   -- FROST per MiB (encoded) per epoch, latest in the epoch
    write_price           NUMERIC(20, 0),   -- FROST per MiB (encoded), latest in the epoch
    total_capacity        NUMERIC(20, 0),   -- encoded bytes (System state)
    used_capacity         NUMERIC(20, 0),   -- encoded bytes reserved for the epoch, latest
    n_shards              INTEGER,
    epoch_duration_ms     BIGINT,
    total_stake           BIGINT,           -- sum of the committee's pool balances at the start
    rewards_total         BIGINT,           -- FROST paid to pools for this epoch (set when it ends)
    commission_total      BIGINT,           -- the commission part of rewards_total
    epoch_state           TEXT,             -- sync | done | params_selected (staking state, latest)
    last_cursor           BIGINT NOT NULL
);

-- Committee members per epoch.
CREATE TABLE committee_members (
    epoch          INTEGER NOT NULL,
    node_id        BYTEA   NOT NULL,
    shards         INTEGER[] NOT NULL,
    weight         INTEGER NOT NULL,        -- number of shards
    public_key     BYTEA,                   -- BLS key the epoch's certificates are checked with
    stake          BIGINT,                  -- the pool's balance at the start of the epoch
    last_cursor    BIGINT  NOT NULL,
    PRIMARY KEY (epoch, node_id)
);
CREATE INDEX committee_members_node ON committee_members (node_id, epoch);

-- Storage nodes and their staking pools (`staking_pool::StakingPool`; pool id = node id).
CREATE TABLE pools (
    node_id                  BYTEA PRIMARY KEY,
    name                     TEXT    NOT NULL,
    network_address          TEXT    NOT NULL,
    public_key               BYTEA   NOT NULL,  -- BLS key (uncompressed, as Move stores it)
    next_epoch_public_key    BYTEA,
    network_public_key       BYTEA   NOT NULL,
    image_url                TEXT    NOT NULL,
    project_url              TEXT    NOT NULL,
    description              TEXT    NOT NULL,
    extra_fields             JSONB   NOT NULL,
    storage_price_vote       NUMERIC(20, 0) NOT NULL,
    write_price_vote         NUMERIC(20, 0) NOT NULL,
    node_capacity_vote       NUMERIC(20, 0) NOT NULL,
    commission_rate          INTEGER NOT NULL,  -- basis points
    pending_commission_rate  JSONB   NOT NULL,  -- [{"epoch", "value"}]: rate taking effect at epoch
    activation_epoch         INTEGER NOT NULL,
    latest_epoch             INTEGER NOT NULL,
    wal_balance              BIGINT  NOT NULL,  -- active stake + delegators' rewards
    num_shares               NUMERIC(20, 0) NOT NULL,
    pending_stake            JSONB   NOT NULL,  -- [{"epoch", "value"}]
    pending_shares_withdraw  JSONB   NOT NULL,
    pre_active_withdrawals   JSONB   NOT NULL,
    rewards_pool             BIGINT  NOT NULL,
    commission               BIGINT  NOT NULL,  -- collectable commission
    commission_receiver      JSONB   NOT NULL,  -- {"Address": "0x…"} or {"ObjectID": "0x…"}
    governance_authorized    JSONB   NOT NULL,
    exchange_rates_id        BYTEA   NOT NULL,
    bcs                      BYTEA   NOT NULL,  -- the Move value as last seen
    stake_next_epoch         BIGINT,            -- wal_balance_at_epoch(epoch + 1), as Move computes it
    stake_after_next_epoch   BIGINT,            -- wal_balance_at_epoch(epoch + 2)
    state                    TEXT    NOT NULL,  -- committee | active_set | inactive | unknown (no staking state seen)
    shards                   INTEGER NOT NULL,  -- shards in the current committee
    next_shards              INTEGER,           -- shards in the selected next committee
    in_active_set            BOOLEAN NOT NULL,
    apy                      DOUBLE PRECISION,  -- from the last two recorded exchange rates
    created_cursor           BIGINT  NOT NULL,
    last_cursor              BIGINT  NOT NULL
);
CREATE INDEX pools_stake ON pools (wal_balance DESC, node_id);
CREATE INDEX pools_apy ON pools (apy DESC NULLS LAST, node_id);
CREATE INDEX pools_commission ON pools (commission_rate, node_id);
CREATE INDEX pools_state ON pools (state, node_id);

-- Operator capabilities (`storage_node::StorageNodeCap`).
CREATE TABLE node_caps (
    object_id             BYTEA PRIMARY KEY,
    node_id               BYTEA   NOT NULL,
    owner                 BYTEA,
    last_epoch_sync_done  INTEGER NOT NULL,
    deleted               BOOLEAN NOT NULL,
    created_cursor        BIGINT  NOT NULL,
    last_cursor           BIGINT  NOT NULL
);
CREATE INDEX node_caps_node ON node_caps (node_id);
CREATE INDEX node_caps_owner ON node_caps (owner) WHERE owner IS NOT NULL;

-- The exchange rate a pool recorded at the start of each epoch (entries of its
-- `exchange_rates` table). `rate` = wal/share (1 for Flat).
CREATE TABLE pool_exchange_rates (
    node_id        BYTEA   NOT NULL,
    epoch          INTEGER NOT NULL,
    flat           BOOLEAN NOT NULL,
    wal_amount     NUMERIC(39, 0) NOT NULL,
    share_amount   NUMERIC(39, 0) NOT NULL,
    rate           DOUBLE PRECISION NOT NULL,
    apy            DOUBLE PRECISION,  -- (rate / previous recorded rate)^(epochs per year / gap) - 1
    last_cursor    BIGINT  NOT NULL,
    PRIMARY KEY (node_id, epoch)
);

-- A pool per epoch: stake at the start of the epoch and the rewards it received for it.
CREATE TABLE pool_epochs (
    node_id          BYTEA   NOT NULL,
    epoch            INTEGER NOT NULL,
    stake            BIGINT,            -- wal_balance when the pool was advanced to this epoch
    rewards          BIGINT,            -- FROST received for this epoch (when it ended), commission included
    commission       BIGINT,            -- the commission part of rewards
    commission_rate  INTEGER,           -- rate in effect during the epoch
    shards           INTEGER,           -- shards in the committee of the epoch (0 if not a member)
    last_cursor      BIGINT  NOT NULL,
    PRIMARY KEY (node_id, epoch)
);
CREATE INDEX pool_epochs_epoch ON pool_epochs (epoch, node_id);

-- Delegators' positions (`staked_wal::StakedWal`), with value and reward computed by the
-- arithmetic of Move's `staking_pool::calculate_rewards` at the current epoch.
CREATE TABLE staked_wal (
    object_id          BYTEA PRIMARY KEY,
    owner              BYTEA,
    node_id            BYTEA   NOT NULL,
    principal          BIGINT  NOT NULL,
    activation_epoch   INTEGER NOT NULL,
    state              TEXT    NOT NULL CHECK (state IN ('staked', 'withdrawing')),
    withdraw_epoch     INTEGER,
    -- pending (not active yet) | active | withdrawing (until withdraw_epoch) | withdrawable | withdrawn (object gone)
    status             TEXT    NOT NULL,
    value              BIGINT,           -- principal + reward at the watermark's epoch (NULL: rates unknown)
    reward             BIGINT,
    deleted            BOOLEAN NOT NULL,
    created_cursor     BIGINT  NOT NULL,
    last_cursor        BIGINT  NOT NULL
);
CREATE INDEX staked_wal_owner ON staked_wal (owner, object_id) WHERE owner IS NOT NULL;
CREATE INDEX staked_wal_node ON staked_wal (node_id, object_id);
CREATE INDEX staked_wal_live ON staked_wal (node_id) WHERE NOT deleted;
