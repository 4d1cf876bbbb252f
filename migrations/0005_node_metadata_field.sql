-- walrus-indexer (issue 17): values mainnet keeps in `ExtendedField`s.
--
-- A node's metadata is no longer part of its pool's BCS. As on Walrus
-- mainnet it is the value of an `ExtendedField` (the dynamic field `extended_field::Key() ->
-- NodeMetadata`), which changes on its own. Its BCS is kept here so that a restarted indexer has
-- it (the image_url, project_url, description and extra_fields columns stay what queries read;
-- a JSONB object does not keep the extra fields' order).
ALTER TABLE pools ADD COLUMN metadata_bcs BYTEA;

-- The active set is the value of the staking state's `ExtendedField`: its own chain_state row
-- (BCS of the `Field<extended_field::Key, ActiveSet>`).
ALTER TABLE chain_state DROP CONSTRAINT chain_state_key_check;
ALTER TABLE chain_state ADD CONSTRAINT chain_state_key_check
    CHECK (key IN ('system_inner', 'staking_inner', 'active_set'));
