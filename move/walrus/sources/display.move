/// Sui Object Display for the objects users own (`Blob`, `Storage`, `StakedWal`), as on Walrus
/// mainnet: wallets and explorers show them with these templates. The `Display` objects and the
/// package's `Publisher` (to update them) live in the shared `ObjectDisplay`'s object bag, keyed
/// by type name (and `PublisherKey()` for the publisher).
module walrus::display;

use std::type_name;
use sui::display::{Self, Display};
use sui::object_bag::{Self, ObjectBag};
use sui::package::Publisher;
use walrus::blob::Blob;
use walrus::staked_wal::StakedWal;
use walrus::storage_resource::Storage;

/// The shared holder of the `Display` objects and the `Publisher`.
public struct ObjectDisplay has key {
    id: UID,
    inner: ObjectBag,
}

/// The bag key of the `Publisher`.
public struct PublisherKey() has copy, drop, store;

/// Creates and shares the `ObjectDisplay` with the displays of `Blob`, `Storage` and
/// `StakedWal` (at initialization).
public(package) fun create(p: Publisher, ctx: &mut TxContext) {
    let mut inner = object_bag::new(ctx);
    inner.add(type_name::with_defining_ids<Blob>(), blob_display(&p, ctx));
    inner.add(type_name::with_defining_ids<Storage>(), storage_display(&p, ctx));
    inner.add(type_name::with_defining_ids<StakedWal>(), staked_wal_display(&p, ctx));
    inner.add(PublisherKey(), p);
    transfer::share_object(ObjectDisplay { id: object::new(ctx), inner })
}

fun blob_display(p: &Publisher, ctx: &mut TxContext): Display<Blob> {
    new_display(
        p,
        b"Walrus Blob ({size}b)",
        b"Registered: {registered_epoch}; certified: {certified_epoch}; deletable: {deletable}",
        b"https://www.walrus.xyz/walrus-blob",
        ctx,
    )
}

fun storage_display(p: &Publisher, ctx: &mut TxContext): Display<Storage> {
    new_display(
        p,
        b"Walrus Storage Resource ({storage_size}b)",
        b"Start: {start_epoch}; end: {end_epoch}",
        b"https://www.walrus.xyz/walrus-storage",
        ctx,
    )
}

fun staked_wal_display(p: &Publisher, ctx: &mut TxContext): Display<StakedWal> {
    new_display(
        p,
        b"Staked WAL ({principal} FROST)",
        b"Staked for node: {node_id}, activates at: {activation_epoch}",
        b"https://www.walrus.xyz/walrus-stakedwal",
        ctx,
    )
}

/// A published `Display<T>` with the fields name, description, image_url, project_url and an
/// empty link.
fun new_display<T: key>(
    p: &Publisher,
    name: vector<u8>,
    description: vector<u8>,
    image_url: vector<u8>,
    ctx: &mut TxContext,
): Display<T> {
    let mut d = display::new<T>(p, ctx);
    d.add(b"name".to_string(), name.to_string());
    d.add(b"description".to_string(), description.to_string());
    d.add(b"image_url".to_string(), image_url.to_string());
    d.add(b"project_url".to_string(), b"https://walrus.xyz/".to_string());
    d.add(b"link".to_string(), b"".to_string());
    d.update_version();
    d
}

#[test_only]
/// The template of `field` in the display of `T`.
public fun field_for_testing<T: key>(
    self: &ObjectDisplay,
    field: std::string::String,
): std::string::String {
    let d: &Display<T> = self.inner.borrow(type_name::with_defining_ids<T>());
    *d.fields().get(&field)
}
