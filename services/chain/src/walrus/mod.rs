//! The Walrus state machine of the devnet ledger: the `wal` and `walrus` Move packages
//! (`move/wal`, `move/walrus`) mirrored in Rust, run by [`crate::devnet::ledger::Ledger`].
//!
//! Every call checks what its Move function checks, in the same order, aborts with the same
//! module and code ([`errors`]), emits the same events with byte-identical BCS and does the same
//! integer arithmetic. Each Rust function names the Move function it mirrors.
//!
//! # Objects and well-known ids
//!
//! Objects are [`WalrusObject`]s; `type_name` is the Move type and `move_bcs` the Move value's
//! BCS (dynamic fields excluded, as on Sui). The devnet publishes the packages at fixed
//! addresses: `wal` at [`WAL_PACKAGE`] (`0x…a1`) and `walrus` at [`WALRUS_PACKAGE`] (`0x…b1`);
//! type names and event types use them (decode events by module and name, which does not
//! depend on the address). State that Move keeps in dynamic fields (the System and Staking
//! states, blob attributes, pools' exchange-rate entries) lives inside the devnet's values and is
//! reported in the stream as Sui reports it: `0x2::dynamic_field::Field<K, V>` object changes
//! owned by the parent, with Sui's derived field ids (`LedgerObject::dynamic_fields`).
//!
//! Genesis creates, in this order: the shared `System` (Move `system::create_empty`), the
//! shared `ProtectedTreasury`, the shared devnet [`Faucet`] holding the whole WAL supply, then
//! runs [`staking::genesis`] (the shared `Staking` object and the genesis nodes) and creates the
//! shared `SlashingManager`. The ids are listed in the [`Registry`], an immutable object at the
//! fixed id [`REGISTRY_ID`] (`0x5`): clients read `GET /v1/objects/0x5` (or [`registry`] on a
//! view, [`WalrusMachine::registry`] on a ledger) to find the `System`, `Staking`, treasury,
//! faucet and slashing manager.
//!
//! # Calls
//!
//! A transaction carries one [`Call`]: [`CoinCall`] (faucet, split, merge, transfer),
//! [`SystemCall`] (the blob lifecycle of `walrus::system`, `walrus::blob`,
//! `walrus::storage_resource`, `walrus::shared_blob`, `walrus::storage_pool`) or a staking
//! call. Objects are passed by id; owned objects must belong to the sender, shared ones are
//! open to anyone. Objects a Move function takes by `&mut` are written back (their version
//! moves even when nothing changed, as on Sui); objects taken by value are consumed; results
//! are transferred to the sender.

pub mod availability;
pub mod blob;
pub mod bls_aggregate;
pub mod chain;
pub mod coin;
pub mod driver;
pub mod encoding;
pub mod errors;
pub mod messages;
pub mod service;
pub mod shared_blob;
pub mod staking;
pub mod storage_pool;
pub mod storage_resource;
pub mod system;

use serde::{Deserialize, Serialize};
use sui_sdk_types::Address;
use walrus_core::contracts;

use crate::devnet::ledger::Machine;
use crate::devnet::objects::{DynamicField, LedgerObject, ObjectStore, TxView};
use crate::types::{ExecutionFailure, ObjectId, Owner};

pub use coin::CoinCall;
pub use system::SystemCall;

/// The view every call of this machine runs against.
pub type View<'a> = TxView<'a, WalrusObject>;

const fn address_from_u64(value: u64) -> Address {
    Address::new(contracts::ObjectId::from_u64(value).0)
}

/// Address of the `wal` package on the devnet.
pub const WAL_PACKAGE: Address = address_from_u64(0xa1);
/// Address of the `walrus` package on the devnet.
pub const WALRUS_PACKAGE: Address = address_from_u64(0xb1);
/// Id of the [`Registry`].
pub const REGISTRY_ID: ObjectId = address_from_u64(0x5);
/// FROST per WAL.
pub const FROST_PER_WAL: u64 = 1_000_000_000;
/// The fixed WAL supply in FROST (`wal::total_supply_frost`: 5 billion WAL).
pub const TOTAL_SUPPLY_FROST: u64 = 5_000_000_000 * FROST_PER_WAL;

/// A ledger object id as a Move `ID` twin.
pub fn to_move_id(id: ObjectId) -> contracts::ObjectId {
    contracts::ObjectId(id.into_inner())
}

/// A Move `ID` twin as a ledger object id.
pub fn to_object_id(id: contracts::ObjectId) -> ObjectId {
    Address::new(id.0)
}

/// The type `0x…b1::module::Name` (no type parameters) as a type tag.
pub fn walrus_struct_tag(module: &'static str, name: &'static str) -> sui_sdk_types::TypeTag {
    sui_sdk_types::TypeTag::Struct(Box::new(sui_sdk_types::StructTag::new(
        WALRUS_PACKAGE,
        sui_sdk_types::Identifier::from_static(module),
        sui_sdk_types::Identifier::from_static(name),
        Vec::new(),
    )))
}

/// `walrus::extended_field::Key`, the key type of every `ExtendedField`'s value.
pub fn extended_field_key_type() -> sui_sdk_types::TypeTag {
    walrus_struct_tag("extended_field", "Key")
}

/// `0x…b1::module::Name`.
pub fn walrus_type(module: &str, name: &str) -> String {
    format!("{WALRUS_PACKAGE}::{module}::{name}")
}

/// The genesis configuration. Every field has a documented default (`#[serde(default)]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GenesisConfig {
    /// Number of shards of every committee (default 100).
    pub n_shards: u16,
    /// How many epochs ahead storage can be bought: the accounting window, 1..=1000
    /// (default 53, as Walrus mainnet).
    pub max_epochs_ahead: u32,
    /// Epoch duration in ms (default 3_600_000: one hour).
    pub epoch_duration_ms: u64,
    /// Time from genesis until epoch 1 may start, in ms (default 60_000).
    pub epoch_zero_duration_ms: u64,
    /// Total capacity (encoded bytes) the `System` starts with (default 0, as Move's
    /// `system::create_empty`; the first epoch change sets it from the committee's votes).
    pub initial_total_capacity: u64,
    /// Storage price (FROST per MiB per epoch) the `System` starts with (default 0, as Move).
    pub initial_storage_price: u64,
    /// Write price (FROST per MiB) the `System` starts with (default 0, as Move).
    pub initial_write_price: u64,
    /// The most FROST one faucet call may take (default 1_000 WAL).
    pub faucet_max_per_call: u64,
    /// The storage nodes created at genesis (see [`staking::GenesisNode`]; default none).
    pub nodes: Vec<staking::GenesisNode>,
}

impl Default for GenesisConfig {
    fn default() -> Self {
        Self {
            n_shards: 100,
            max_epochs_ahead: 53,
            epoch_duration_ms: 3_600_000,
            epoch_zero_duration_ms: 60_000,
            initial_total_capacity: 0,
            initial_storage_price: 0,
            initial_write_price: 0,
            faucet_max_per_call: 1_000 * FROST_PER_WAL,
            nodes: Vec::new(),
        }
    }
}

/// The ids of the shared objects created at genesis (an immutable object at [`REGISTRY_ID`]).
/// Devnet only; on Sui these ids come from the package's publication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registry {
    /// The `wal` package.
    pub wal_package: ObjectId,
    /// The `walrus` package.
    pub walrus_package: ObjectId,
    /// The shared `system::System`.
    pub system: ObjectId,
    /// The shared `staking::Staking`.
    pub staking: ObjectId,
    /// The shared `wal::ProtectedTreasury`.
    pub treasury: ObjectId,
    /// The shared devnet [`Faucet`].
    pub faucet: ObjectId,
    /// The shared `slashing::SlashingManager`.
    pub slashing_manager: ObjectId,
}

/// The shared `System` object: the Move object (`id`, `version`) and its state, the dynamic
/// field `1u64 -> SystemStateInnerV1`, kept together. `move_bcs` is the BCS of
/// `system::System` only, as on Sui; the state is in the JSON view (`value.inner`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemObject {
    /// `system::System`.
    pub system: contracts::System,
    /// `system_state_inner::SystemStateInnerV1`.
    pub inner: contracts::SystemStateInnerV1,
    /// The value of `inner.deny_list_sizes` (an `ExtendedField<VecMap<ID, u64>>`): node id ->
    /// deny list size, in Move's insertion order.
    pub deny_list_sizes: contracts::staking::VecMap<contracts::ObjectId, u64>,
}

/// `wal::ProtectedTreasury` and the supply of its `TreasuryCap` (a dynamic object field on
/// Sui): only burning changes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Treasury {
    /// `wal::ProtectedTreasury`.
    pub treasury: contracts::ProtectedTreasury,
    /// `wal::total_supply`: the FROST in existence.
    pub total_supply: u64,
}

/// The devnet faucet (no Move counterpart): a shared object holding WAL from the fixed
/// genesis supply, paid out by [`CoinCall::Faucet`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Faucet {
    /// The object id.
    pub id: contracts::ObjectId,
    /// FROST left.
    pub balance: u64,
}

/// A `blob::Blob` with its attributes (the dynamic field `b"metadata" -> Metadata` on Sui,
/// which is not part of the Blob's BCS).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobObject {
    /// The Move `Blob`.
    pub blob: contracts::Blob,
    /// Its attributes, if any.
    pub metadata: Option<contracts::Metadata>,
}

/// A `shared_blob::SharedBlob`, whose wrapped blob keeps its attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedBlobObject {
    /// The object id.
    pub id: contracts::ObjectId,
    /// The wrapped blob.
    pub blob: BlobObject,
    /// FROST available for extensions.
    pub funds: u64,
}

impl SharedBlobObject {
    /// The Move value.
    pub fn to_move(&self) -> contracts::SharedBlob {
        contracts::SharedBlob {
            id: self.id,
            blob: self.blob.blob.clone(),
            funds: self.funds,
        }
    }
}

/// Every object of the Walrus devnet ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum WalrusObject {
    /// The registry of well-known ids (devnet only).
    Registry(Registry),
    /// `system::System` with its state.
    System(SystemObject),
    /// `wal::ProtectedTreasury` with the total supply.
    Treasury(Treasury),
    /// The devnet faucet.
    Faucet(Faucet),
    /// `0x2::coin::Coin<WAL>`.
    WalCoin(contracts::Coin),
    /// `storage_resource::Storage`.
    Storage(contracts::Storage),
    /// `blob::Blob` with its attributes.
    Blob(BlobObject),
    /// `shared_blob::SharedBlob`.
    SharedBlob(SharedBlobObject),
    /// `storage_pool::StoragePool` with its state and blobs.
    StoragePool(storage_pool::StoragePoolObject),
    /// The staking objects.
    Staking(staking::StakingObject),
}

fn bcs_of<T: Serialize>(value: &T) -> Vec<u8> {
    // The twins are plain structs; serializing them into a Vec cannot fail.
    bcs::to_bytes(value).unwrap_or_default()
}

impl LedgerObject for WalrusObject {
    fn type_name(&self) -> String {
        match self {
            Self::Registry(_) => walrus_type("devnet", "Registry"),
            Self::System(_) => walrus_type("system", "System"),
            Self::Treasury(_) => format!("{WAL_PACKAGE}::wal::ProtectedTreasury"),
            Self::Faucet(_) => walrus_type("devnet", "Faucet"),
            Self::WalCoin(_) => format!("0x2::coin::Coin<{WAL_PACKAGE}::wal::WAL>"),
            Self::Storage(_) => walrus_type("storage_resource", "Storage"),
            Self::Blob(_) => walrus_type("blob", "Blob"),
            Self::SharedBlob(_) => walrus_type("shared_blob", "SharedBlob"),
            Self::StoragePool(_) => walrus_type("storage_pool", "StoragePool"),
            Self::Staking(s) => s.type_name(),
        }
    }

    fn move_bcs(&self) -> Vec<u8> {
        match self {
            Self::Registry(r) => bcs_of(r),
            Self::System(s) => bcs_of(&s.system),
            Self::Treasury(t) => bcs_of(&t.treasury),
            Self::Faucet(f) => bcs_of(f),
            Self::WalCoin(c) => bcs_of(c),
            Self::Storage(s) => bcs_of(s),
            Self::Blob(b) => bcs_of(&b.blob),
            Self::SharedBlob(s) => bcs_of(&s.to_move()),
            Self::StoragePool(p) => bcs_of(&p.pool),
            Self::Staking(s) => s.move_bcs(),
        }
    }

    /// The Move dynamic fields: the System's and Staking's state (`version -> *InnerV1`), a
    /// blob's attributes (`b"metadata" -> Metadata`, also while wrapped in a SharedBlob), a
    /// staking pool's exchange rates (entries `epoch -> PoolExchangeRate` of its `Table`) and a
    /// storage pool's state, blobs and their attributes
    /// ([`storage_pool::StoragePoolObject::dynamic_fields`]).
    fn dynamic_fields(&self) -> Vec<DynamicField> {
        use sui_sdk_types::TypeTag;
        let blob_attributes = |b: &BlobObject| {
            b.metadata.as_ref().map(|m| {
                DynamicField::new(
                    to_object_id(b.blob.id),
                    &TypeTag::Vector(Box::new(TypeTag::U8)),
                    &bcs_of(&METADATA_FIELD_KEY.to_vec()),
                    &walrus_type("metadata", "Metadata"),
                    &bcs_of(m),
                )
            })
        };
        match self {
            Self::System(s) => vec![
                DynamicField::new(
                    to_object_id(s.system.id),
                    &TypeTag::U64,
                    &bcs_of(&s.system.version),
                    &walrus_type("system_state_inner", "SystemStateInnerV1"),
                    &bcs_of(&s.inner),
                ),
                // The deny list sizes hang off the `ExtendedField`'s own id, under `Key()` (a
                // struct without fields: BCS of its `dummy_field: bool`).
                DynamicField::new(
                    to_object_id(s.inner.deny_list_sizes.id),
                    &extended_field_key_type(),
                    &bcs_of(&false),
                    "0x2::vec_map::VecMap<0x2::object::ID, u64>",
                    &bcs_of(&s.deny_list_sizes),
                ),
            ],
            Self::Blob(b) => blob_attributes(b).into_iter().collect(),
            Self::SharedBlob(s) => blob_attributes(&s.blob).into_iter().collect(),
            Self::StoragePool(p) => p.dynamic_fields(),
            // The state, and the values of its two `ExtendedField`s (each under its own id,
            // key `Key()`: the BCS of its `dummy_field: bool`).
            Self::Staking(staking::StakingObject::Staking(s)) => vec![
                DynamicField::new(
                    s.id,
                    &TypeTag::U64,
                    &bcs_of(&s.version),
                    &walrus_type("staking_inner", "StakingInnerV1"),
                    &s.inner_move_bcs(),
                ),
                DynamicField::new(
                    to_object_id(s.inner.inner.active_set.id),
                    &extended_field_key_type(),
                    &bcs_of(&false),
                    &walrus_type("active_set", "ActiveSet"),
                    &bcs_of(&s.inner.active_set),
                ),
                DynamicField::new(
                    to_object_id(s.inner.inner.next_epoch_public_keys.id),
                    &extended_field_key_type(),
                    &bcs_of(&false),
                    "0x2::vec_map::VecMap<0x2::object::ID, \
                     0x2::group_ops::Element<0x2::bls12381::UncompressedG1>>",
                    &bcs_of(&s.inner.next_epoch_public_keys),
                ),
            ],
            Self::Staking(staking::StakingObject::SlashingManager(m)) => m.dynamic_fields(),
            Self::Staking(staking::StakingObject::Pool(p)) => {
                let value_type = walrus_type("pool_exchange_rate", "PoolExchangeRate");
                let mut fields: Vec<DynamicField> = p
                    .exchange_rates
                    .iter()
                    .map(|(epoch, rate)| {
                        DynamicField::new(
                            to_object_id(p.pool.exchange_rates.id),
                            &TypeTag::U32,
                            &bcs_of(epoch),
                            &value_type,
                            &bcs_of(rate),
                        )
                    })
                    .collect();
                // The blocked commission: `extra_fields` entry under the key struct (no
                // fields: BCS of its `dummy_field: bool`).
                if let Some(blocked) = p.blocked_commission {
                    fields.push(DynamicField::new(
                        to_object_id(p.pool.extra_fields.id),
                        &walrus_struct_tag(
                            "staking_pool",
                            "NewEpochCommissionBlockedForCollection",
                        ),
                        &bcs_of(&false),
                        "u64",
                        &bcs_of(&blocked),
                    ));
                }
                // The node's metadata: the value of its `ExtendedField`.
                fields.push(DynamicField::new(
                    to_object_id(p.node_info.metadata.id),
                    &extended_field_key_type(),
                    &bcs_of(&false),
                    &walrus_type("node_metadata", "NodeMetadata"),
                    &bcs_of(&p.metadata),
                ));
                fields
            }
            _ => Vec::new(),
        }
    }
}

/// The key of a blob's attributes field (Move `blob::METADATA_DF`).
pub const METADATA_FIELD_KEY: &[u8] = b"metadata";

/// One operation of a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Call {
    /// WAL coins.
    Coin(CoinCall),
    /// The blob lifecycle.
    System(SystemCall),
    /// Staking, committee and epoch changes.
    Staking(staking::StakingCall),
}

/// The Walrus devnet state machine.
#[derive(Debug, Clone, Default)]
pub struct WalrusMachine {
    config: GenesisConfig,
}

impl WalrusMachine {
    /// A machine with this genesis configuration.
    pub fn new(config: GenesisConfig) -> Self {
        Self { config }
    }

    /// The genesis configuration.
    pub fn config(&self) -> &GenesisConfig {
        &self.config
    }

    /// The registry of well-known ids in a ledger's objects (after genesis).
    pub fn registry(objects: &ObjectStore<WalrusObject>) -> Option<Registry> {
        match objects.get(&REGISTRY_ID).map(|o| &o.value) {
            Some(WalrusObject::Registry(r)) => Some(r.clone()),
            _ => None,
        }
    }
}

/// The registry, as a call sees it.
pub fn registry(view: &View<'_>) -> Result<Registry, ExecutionFailure> {
    match view.get(&REGISTRY_ID) {
        Some((_, WalrusObject::Registry(r))) => Ok(r.clone()),
        Some(_) => Err(errors::input::EWrongObjectType.fail_with("registry")),
        None => Err(errors::input::EObjectNotFound.fail_with("registry")),
    }
}

/// `wal::init` + `init::initialize_walrus`, devnet style: see the module documentation.
fn genesis(view: &mut View<'_>, config: &GenesisConfig) -> Result<(), ExecutionFailure> {
    let system = system::create_empty(view, config.max_epochs_ahead)?;
    let treasury_id = view.new_id();
    view.put(
        treasury_id,
        Owner::Shared,
        WalrusObject::Treasury(Treasury {
            treasury: contracts::ProtectedTreasury {
                id: to_move_id(treasury_id),
            },
            total_supply: TOTAL_SUPPLY_FROST,
        }),
    );
    let faucet_id = view.new_id();
    view.put(
        faucet_id,
        Owner::Shared,
        WalrusObject::Faucet(Faucet {
            id: to_move_id(faucet_id),
            balance: TOTAL_SUPPLY_FROST,
        }),
    );
    let mut registry = Registry {
        wal_package: WAL_PACKAGE,
        walrus_package: WALRUS_PACKAGE,
        system,
        staking: Address::ZERO,
        treasury: treasury_id,
        faucet: faucet_id,
        slashing_manager: Address::ZERO,
    };
    view.put(
        REGISTRY_ID,
        Owner::Immutable,
        WalrusObject::Registry(registry.clone()),
    );
    system::set_total_capacity_size(view, config.initial_total_capacity)?;
    system::set_prices(
        view,
        config.initial_storage_price,
        config.initial_write_price,
    )?;
    registry.staking = staking::genesis(view, config)?;
    registry.slashing_manager = staking::create_slashing_manager(view);
    view.put(
        REGISTRY_ID,
        Owner::Immutable,
        WalrusObject::Registry(registry),
    );
    Ok(())
}

impl Machine for WalrusMachine {
    type Call = Call;
    type Object = WalrusObject;

    fn genesis(&self, view: &mut View<'_>) -> Result<(), ExecutionFailure> {
        genesis(view, &self.config)
    }

    /// Verifies certificate signatures before the ledger's lock is taken (see
    /// `bls_aggregate::preverify`); execution then finds them already checked.
    fn prepare(&self, call: &Call, read: &dyn Fn(&ObjectId) -> Option<WalrusObject>) {
        let (signature, bitmap, message) = match call {
            Call::System(SystemCall::CertifyBlob {
                signature,
                signers_bitmap,
                message,
                ..
            }) => (signature, signers_bitmap, message),
            Call::System(SystemCall::InvalidateBlobId {
                signature,
                members_bitmap,
                message,
            }) => (signature, members_bitmap, message),
            Call::System(SystemCall::CertifyPooledBlob {
                signature,
                signers_bitmap,
                message,
                ..
            }) => (signature, signers_bitmap, message),
            _ => return,
        };
        let Some(WalrusObject::Registry(registry)) = read(&REGISTRY_ID) else {
            return;
        };
        if let Some(WalrusObject::System(system)) = read(&registry.system) {
            bls_aggregate::preverify(&system.inner.committee, signature, bitmap, message);
        }
    }

    fn execute(&self, view: &mut View<'_>, call: &Call) -> Result<(), ExecutionFailure> {
        match call {
            Call::Coin(c) => coin::execute(view, &self.config, c),
            Call::System(s) => system::execute(view, s),
            Call::Staking(s) => staking::execute(view, &self.config, s),
        }
    }
}

// === Input objects ===

/// The object `id` owned by the sender, or the input error Sui would refuse it with.
pub fn owned<'v>(view: &'v View<'_>, id: &ObjectId) -> Result<&'v WalrusObject, ExecutionFailure> {
    match view.get(id) {
        None => Err(errors::input::EObjectNotFound.fail_with(id)),
        Some((Owner::Address(a), value)) if a == view.sender => Ok(value),
        Some(_) => Err(errors::input::ENotOwner.fail_with(id)),
    }
}

/// The shared object `id`.
pub fn shared<'v>(view: &'v View<'_>, id: &ObjectId) -> Result<&'v WalrusObject, ExecutionFailure> {
    match view.get(id) {
        None => Err(errors::input::EObjectNotFound.fail_with(id)),
        Some((Owner::Shared, value)) => Ok(value),
        Some(_) => Err(errors::input::ENotOwner.fail_with(format!("{id} is not shared"))),
    }
}

/// A WAL coin owned by the sender.
pub fn owned_coin(view: &View<'_>, id: &ObjectId) -> Result<contracts::Coin, ExecutionFailure> {
    match owned(view, id)? {
        WalrusObject::WalCoin(c) => Ok(c.clone()),
        _ => Err(errors::input::EWrongObjectType.fail_with(format!("{id} is not a WAL coin"))),
    }
}

/// A `Storage` owned by the sender.
pub fn owned_storage(
    view: &View<'_>,
    id: &ObjectId,
) -> Result<contracts::Storage, ExecutionFailure> {
    match owned(view, id)? {
        WalrusObject::Storage(s) => Ok(s.clone()),
        _ => Err(errors::input::EWrongObjectType.fail_with(format!("{id} is not a Storage"))),
    }
}

/// A `Blob` owned by the sender.
pub fn owned_blob(view: &View<'_>, id: &ObjectId) -> Result<BlobObject, ExecutionFailure> {
    match owned(view, id)? {
        WalrusObject::Blob(b) => Ok(b.clone()),
        _ => Err(errors::input::EWrongObjectType.fail_with(format!("{id} is not a Blob"))),
    }
}

/// Writes an owned object back to the sender (after a `&mut` use, or to transfer a result).
pub fn put_owned(view: &mut View<'_>, id: ObjectId, value: WalrusObject) {
    let owner = Owner::Address(view.sender);
    view.put(id, owner, value);
}
