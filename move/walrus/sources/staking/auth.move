/// Who may act on a pool's commission and governance: an address or the holder of an object
/// (by default the node's `StorageNodeCap`).
module walrus::auth;

// === Object definitions ===

/// Proof of the caller's identity, built in the same transaction.
public enum Authenticated has drop {
    /// The transaction sender.
    Sender(address),
    /// Whoever could borrow the object with this id.
    Object(ID),
}

/// Who is allowed, as stored in a pool.
public enum Authorized has copy, drop, store {
    /// This address, when it sends the transaction.
    Address(address),
    /// Whoever presents the object with this id.
    ObjectID(ID),
}

// === Constructors ===

/// Authenticates the transaction sender.
public fun authenticate_sender(ctx: &TxContext): Authenticated {
    Authenticated::Sender(ctx.sender())
}

/// Authenticates as the holder of `obj`.
public fun authenticate_with_object<T: key>(obj: &T): Authenticated {
    Authenticated::Object(object::id(obj))
}

/// Authorizes an address.
public fun authorized_address(addr: address): Authorized { Authorized::Address(addr) }

/// Authorizes the holder of the object with id `id`.
public fun authorized_object(id: ID): Authorized { Authorized::ObjectID(id) }

// === Checks ===

/// Whether `authenticated` is the one `authorized` names (same variant, equal value).
public fun matches(authenticated: &Authenticated, authorized: &Authorized): bool {
    match (authenticated) {
        Authenticated::Sender(a) => match (authorized) {
            Authorized::Address(b) => a == b,
            Authorized::ObjectID(_) => false,
        },
        Authenticated::Object(a) => match (authorized) {
            Authorized::Address(_) => false,
            Authorized::ObjectID(b) => a == b,
        },
    }
}
