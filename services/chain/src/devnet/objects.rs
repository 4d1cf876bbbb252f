//! The devnet ledger's object store and the per-transaction view that makes calls atomic.
//!
//! Every piece of ledger state is an object with an id, a version and an owner, as on Sui. A call
//! runs against a [`TxView`]: reads see the store plus the call's own writes, writes go to an
//! overlay, and only a successful call's overlay is applied ([`ObjectStore::apply`]). An aborted
//! call's overlay is dropped, so a Move-style abort anywhere leaves the state exactly as it was.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use sui_sdk_types::{Address, Digest};

use crate::types::{ChangeKind, EventRecord, ObjectChange, ObjectId, Owner};

/// A value the ledger stores as an object: it knows its Move type and its Move BCS form.
pub trait LedgerObject:
    Clone + std::fmt::Debug + Serialize + DeserializeOwned + Send + Sync + 'static
{
    /// The full Move type name, for example `0x…::blob::Blob`.
    fn type_name(&self) -> String;
    /// The bytes Move's `bcs::to_bytes` gives for this object.
    fn move_bcs(&self) -> Vec<u8>;
    /// The dynamic fields the Move object would have (state Move keeps in dynamic fields and
    /// the devnet keeps inside the value). None by default.
    fn dynamic_fields(&self) -> Vec<DynamicField> {
        Vec::new()
    }
}

/// A dynamic field as Sui reports it in a transaction's effects: an object of type
/// `0x2::dynamic_field::Field<K, V>` owned by its parent object, whose id is derived from the
/// parent's id and the key (Sui's `derive_dynamic_field_id`); or, for a dynamic object field,
/// the child object itself, owned by its `Field` ([`DynamicField::child_object`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DynamicField {
    /// The field object's id.
    pub id: ObjectId,
    /// The object (UID) the field hangs off: the owner of the field object.
    pub parent: ObjectId,
    /// `0x2::dynamic_field::Field<K, V>` with the key and value types.
    pub object_type: String,
    /// BCS of `Field<K, V> { id, name, value }`.
    pub contents: Vec<u8>,
}

impl DynamicField {
    /// The field `parent -> (key, value)`: `key_type` is the key's Move type (for the id and
    /// the type name), `key_bcs` and `value_bcs` their BCS, `value_type` the value's Move type.
    pub fn new(
        parent: ObjectId,
        key_type: &sui_sdk_types::TypeTag,
        key_bcs: &[u8],
        value_type: &str,
        value_bcs: &[u8],
    ) -> Self {
        let id = parent.derive_dynamic_child_id(key_type, key_bcs);
        let mut contents = Vec::with_capacity(32 + key_bcs.len() + value_bcs.len());
        contents.extend_from_slice(id.as_bytes());
        contents.extend_from_slice(key_bcs);
        contents.extend_from_slice(value_bcs);
        Self {
            id,
            parent,
            object_type: format!("0x2::dynamic_field::Field<{key_type}, {value_type}>"),
            contents,
        }
    }

    /// An object owned by another object without being a `Field` itself: the value of a
    /// dynamic object field (`0x2::dynamic_object_field`), owned by its `Field<Wrapper<K>, ID>`
    /// object `parent`.
    pub fn child_object(
        parent: ObjectId,
        id: ObjectId,
        object_type: String,
        contents: Vec<u8>,
    ) -> Self {
        Self {
            id,
            parent,
            object_type,
            contents,
        }
    }
}

/// An object as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredObject<V> {
    /// Bumped by every transaction that changes the object; 1 at creation.
    pub version: u64,
    /// Current owner.
    pub owner: Owner,
    /// The value.
    pub value: V,
}

/// All objects, by id, with an index of what each address owns.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObjectStore<V> {
    objects: BTreeMap<ObjectId, StoredObject<V>>,
    #[serde(skip)]
    by_owner: BTreeSet<(Address, ObjectId)>,
}

impl<V> Default for ObjectStore<V> {
    fn default() -> Self {
        Self {
            objects: BTreeMap::new(),
            by_owner: BTreeSet::new(),
        }
    }
}

impl<V: LedgerObject> ObjectStore<V> {
    /// Rebuilds the owner index (after deserializing a snapshot).
    pub fn reindex(&mut self) {
        self.by_owner = self
            .objects
            .iter()
            .filter_map(|(id, o)| match o.owner {
                Owner::Address(a) => Some((a, *id)),
                _ => None,
            })
            .collect();
    }

    /// The object with this id.
    pub fn get(&self, id: &ObjectId) -> Option<&StoredObject<V>> {
        self.objects.get(id)
    }

    /// Ids of the objects an address owns, in id order.
    pub fn owned_by(&self, owner: Address) -> impl Iterator<Item = ObjectId> + '_ {
        self.by_owner
            .range((owner, Address::ZERO)..)
            .take_while(move |(a, _)| *a == owner)
            .map(|(_, id)| *id)
    }

    /// Number of objects.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// Applies a successful call's writes and returns the object changes: the written objects
    /// in id order, then their dynamic fields that were created, changed or removed (compared
    /// over the whole transaction, so a field whose parent moves into a wrapper unchanged is not
    /// reported), in field id order, owned by their parent (`Owner::Object`). A field's version
    /// is the version its holder has after the transaction.
    pub fn apply(&mut self, writes: BTreeMap<ObjectId, Write<V>>) -> Vec<ObjectChange> {
        let mut changes = Vec::with_capacity(writes.len());
        let mut fields_before: BTreeMap<ObjectId, (DynamicField, u64)> = BTreeMap::new();
        let mut fields_after: BTreeMap<ObjectId, (DynamicField, u64)> = BTreeMap::new();
        for (id, write) in writes {
            let previous = self.objects.remove(&id);
            if let Some(prev) = &previous {
                for f in prev.value.dynamic_fields() {
                    fields_before.insert(f.id, (f, prev.version + 1));
                }
            }
            if let Some(prev) = &previous
                && let Owner::Address(a) = prev.owner
            {
                self.by_owner.remove(&(a, id));
            }
            match write {
                Write::Put { owner, value } => {
                    let (kind, version) = match &previous {
                        None => (ChangeKind::Created, 1),
                        Some(prev) if prev.owner != owner => {
                            (ChangeKind::Transferred, prev.version + 1)
                        }
                        Some(prev) => (ChangeKind::Mutated, prev.version + 1),
                    };
                    changes.push(ObjectChange {
                        kind,
                        object_id: id,
                        object_type: value.type_name(),
                        version,
                        owner: Some(owner),
                        contents: Some(value.move_bcs()),
                    });
                    if let Owner::Address(a) = owner {
                        self.by_owner.insert((a, id));
                    }
                    for f in value.dynamic_fields() {
                        fields_after.insert(f.id, (f, version));
                    }
                    self.objects.insert(
                        id,
                        StoredObject {
                            version,
                            owner,
                            value,
                        },
                    );
                }
                Write::Delete => {
                    if let Some(prev) = previous {
                        changes.push(ObjectChange {
                            kind: ChangeKind::Deleted,
                            object_id: id,
                            object_type: prev.value.type_name(),
                            version: prev.version + 1,
                            owner: None,
                            contents: None,
                        });
                    }
                }
            }
        }
        let mut field_changes = BTreeMap::new();
        for (id, (before, version)) in &fields_before {
            if !fields_after.contains_key(id) {
                field_changes.insert(
                    *id,
                    ObjectChange {
                        kind: ChangeKind::Deleted,
                        object_id: *id,
                        object_type: before.object_type.clone(),
                        version: *version,
                        owner: None,
                        contents: None,
                    },
                );
            }
        }
        for (id, (after, version)) in fields_after {
            let kind = match fields_before.get(&id) {
                Some((before, _)) if before.contents == after.contents => continue,
                Some(_) => ChangeKind::Mutated,
                None => ChangeKind::Created,
            };
            field_changes.insert(
                id,
                ObjectChange {
                    kind,
                    object_id: id,
                    object_type: after.object_type,
                    version,
                    owner: Some(Owner::Object(after.parent)),
                    contents: Some(after.contents),
                },
            );
        }
        changes.extend(field_changes.into_values());
        changes
    }
}

/// A pending write of a call.
#[derive(Debug, Clone)]
pub enum Write<V> {
    /// Create or replace the object.
    Put {
        /// Owner after the call.
        owner: Owner,
        /// Value after the call.
        value: V,
    },
    /// Delete the object.
    Delete,
}

/// What a call sees and changes: the store plus its own pending writes and events.
#[derive(Debug)]
pub struct TxView<'a, V> {
    store: &'a ObjectStore<V>,
    writes: BTreeMap<ObjectId, Write<V>>,
    events: Vec<EventRecord>,
    digest: Digest,
    created: u64,
    /// The signing account.
    pub sender: Address,
    /// Ledger time of the transaction, in milliseconds.
    pub timestamp_ms: u64,
}

impl<'a, V: LedgerObject> TxView<'a, V> {
    /// A view for the transaction `digest` sent by `sender` at `timestamp_ms`.
    pub fn new(
        store: &'a ObjectStore<V>,
        digest: Digest,
        sender: Address,
        timestamp_ms: u64,
    ) -> Self {
        Self {
            store,
            writes: BTreeMap::new(),
            events: Vec::new(),
            digest,
            created: 0,
            sender,
            timestamp_ms,
        }
    }

    /// The object as this call sees it.
    pub fn get(&self, id: &ObjectId) -> Option<(Owner, &V)> {
        match self.writes.get(id) {
            Some(Write::Put { owner, value }) => Some((*owner, value)),
            Some(Write::Delete) => None,
            None => self.store.get(id).map(|o| (o.owner, &o.value)),
        }
    }

    /// Replaces (or creates) the object with `id`.
    pub fn put(&mut self, id: ObjectId, owner: Owner, value: V) {
        self.writes.insert(id, Write::Put { owner, value });
    }

    /// Deletes the object with `id`.
    pub fn delete(&mut self, id: ObjectId) {
        self.writes.insert(id, Write::Delete);
    }

    /// A fresh object id: Blake2b256(0xf1 ‖ tx digest ‖ creation counter), Sui's
    /// `derive_id` (the same id Move's `object::new` gets in a transaction with this digest).
    pub fn new_id(&mut self) -> ObjectId {
        let id = Address::derive_id(self.digest, self.created);
        self.created += 1;
        id
    }

    /// Creates an object and returns its id.
    pub fn create(&mut self, owner: Owner, value: V) -> ObjectId {
        let id = self.new_id();
        self.put(id, owner, value);
        id
    }

    /// Records an event.
    pub fn emit(&mut self, event_type: String, bcs: Vec<u8>) {
        let event_index = u32::try_from(self.events.len()).unwrap_or(u32::MAX);
        self.events.push(EventRecord {
            event_index,
            event_type,
            bcs,
        });
    }

    /// The call's writes and events, to apply when it succeeded.
    pub fn finish(self) -> (BTreeMap<ObjectId, Write<V>>, Vec<EventRecord>) {
        (self.writes, self.events)
    }
}
