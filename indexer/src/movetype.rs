//! Move type names as the stream reports them (`0x…::module::Name<Params>`), and which of them
//! the indexer interprets. Types are matched by module and name, not by package address, so the
//! same code reads the devnet (fixed addresses) and a Sui network (published package ids).

/// A parsed struct type: address, module, name and the top-level type parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveType<'a> {
    /// Package address as written.
    pub address: &'a str,
    /// Module.
    pub module: &'a str,
    /// Struct name.
    pub name: &'a str,
    /// Type parameters, as written (trimmed).
    pub params: Vec<&'a str>,
}

impl<'a> MoveType<'a> {
    /// Parses `address::module::Name` with optional `<P1, P2, ...>`; `None` for anything else.
    pub fn parse(text: &'a str) -> Option<Self> {
        let text = text.trim();
        let (base, params) = match text.find('<') {
            Some(open) => {
                let inner = text.get(open + 1..)?.strip_suffix('>')?;
                (&text[..open], split_top_level(inner)?)
            }
            None => (text, Vec::new()),
        };
        let mut parts = base.split("::");
        let address = parts.next()?;
        let module = parts.next()?;
        let name = parts.next()?;
        if parts.next().is_some() || address.is_empty() || module.is_empty() || name.is_empty() {
            return None;
        }
        Some(Self {
            address,
            module,
            name,
            params,
        })
    }

    /// `module::Name`.
    pub fn short_name(&self) -> String {
        format!("{}::{}", self.module, self.name)
    }

    fn is(&self, module: &str, name: &str) -> bool {
        self.module == module && self.name == name
    }
}

fn split_top_level(inner: &str) -> Option<Vec<&str>> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in inner.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => {
                depth -= 1;
                if depth < 0 {
                    return None;
                }
            }
            ',' if depth == 0 => {
                out.push(inner[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return None;
    }
    let last = inner[start..].trim();
    if !last.is_empty() {
        out.push(last);
    }
    Some(out)
}

/// `module::Name` of an event or object type (the type itself when it does not parse).
pub fn short_name(type_name: &str) -> String {
    MoveType::parse(type_name).map_or_else(|| type_name.to_owned(), |t| t.short_name())
}

/// What an object change is, for the indexer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    /// `blob::Blob`.
    Blob,
    /// `shared_blob::SharedBlob`.
    SharedBlob,
    /// `storage_resource::Storage`.
    Storage,
    /// `staked_wal::StakedWal`.
    StakedWal,
    /// `staking_pool::StakingPool`.
    Pool,
    /// `storage_node::StorageNodeCap`.
    NodeCap,
    /// `dynamic_field::Field<u64, system_state_inner::SystemStateInnerV1>`: the System state.
    SystemInner,
    /// `dynamic_field::Field<u64, staking_inner::StakingInnerV1>`: the staking state.
    StakingInner,
    /// `dynamic_field::Field<vector<u8>, metadata::Metadata>`: a blob's attributes.
    BlobAttributes,
    /// `dynamic_field::Field<u32, pool_exchange_rate::PoolExchangeRate>`: one exchange-rate entry.
    ExchangeRate,
    /// `dynamic_field::Field<extended_field::Key, active_set::ActiveSet>`: the active set (the
    /// value of the staking state's `ExtendedField`).
    ActiveSet,
    /// `dynamic_field::Field<extended_field::Key, node_metadata::NodeMetadata>`: a node's
    /// metadata (the value of its `ExtendedField`).
    NodeMetadata,
    /// Anything else (coins, the `System` and `Staking` wrappers, packages, ...): not indexed.
    Other,
}

impl ObjectKind {
    /// Classifies a full Move object type.
    pub fn of(object_type: &str) -> Self {
        let Some(t) = MoveType::parse(object_type) else {
            return Self::Other;
        };
        if t.is("dynamic_field", "Field") && t.params.len() == 2 {
            let key = t.params[0];
            let Some(value) = MoveType::parse(t.params[1]) else {
                return Self::Other;
            };
            if MoveType::parse(key).is_some_and(|k| k.is("extended_field", "Key")) {
                return match (value.module, value.name) {
                    ("active_set", "ActiveSet") => Self::ActiveSet,
                    ("node_metadata", "NodeMetadata") => Self::NodeMetadata,
                    _ => Self::Other,
                };
            }
            return match (key, value.module, value.name) {
                ("u64", "system_state_inner", "SystemStateInnerV1") => Self::SystemInner,
                ("u64", "staking_inner", "StakingInnerV1") => Self::StakingInner,
                ("vector<u8>", "metadata", "Metadata") => Self::BlobAttributes,
                ("u32", "pool_exchange_rate", "PoolExchangeRate") => Self::ExchangeRate,
                _ => Self::Other,
            };
        }
        match (t.module, t.name) {
            ("blob", "Blob") => Self::Blob,
            ("shared_blob", "SharedBlob") => Self::SharedBlob,
            ("storage_resource", "Storage") => Self::Storage,
            ("staked_wal", "StakedWal") => Self::StakedWal,
            ("staking_pool", "StakingPool") => Self::Pool,
            ("storage_node", "StorageNodeCap") => Self::NodeCap,
            _ => Self::Other,
        }
    }

    /// A name for logs and the failures table.
    pub fn label(self) -> &'static str {
        match self {
            Self::Blob => "Blob",
            Self::SharedBlob => "SharedBlob",
            Self::Storage => "Storage",
            Self::StakedWal => "StakedWal",
            Self::Pool => "StakingPool",
            Self::NodeCap => "StorageNodeCap",
            Self::SystemInner => "SystemStateInnerV1",
            Self::StakingInner => "StakingInnerV1",
            Self::BlobAttributes => "Metadata",
            Self::ExchangeRate => "PoolExchangeRate",
            Self::ActiveSet => "ActiveSet",
            Self::NodeMetadata => "NodeMetadata",
            Self::Other => "other",
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_generic_types() {
        let t = MoveType::parse("0xb1::blob::Blob").unwrap();
        assert_eq!((t.module, t.name, t.params.len()), ("blob", "Blob", 0));
        let f = "0x2::dynamic_field::Field<u64, 0xb1::system_state_inner::SystemStateInnerV1>";
        assert_eq!(ObjectKind::of(f), ObjectKind::SystemInner);
        let f = "0x2::dynamic_field::Field<vector<u8>,0xb1::metadata::Metadata>";
        assert_eq!(ObjectKind::of(f), ObjectKind::BlobAttributes);
        let f = "0x2::dynamic_field::Field<u32, 0xb1::pool_exchange_rate::PoolExchangeRate>";
        assert_eq!(ObjectKind::of(f), ObjectKind::ExchangeRate);
        assert_eq!(
            ObjectKind::of("0x2::coin::Coin<0xa1::wal::WAL>"),
            ObjectKind::Other
        );
        assert_eq!(ObjectKind::of("garbage"), ObjectKind::Other);
        assert_eq!(ObjectKind::of("0x1::a::B<C"), ObjectKind::Other);
        assert_eq!(
            short_name("0xabc::events::BlobRegistered"),
            "events::BlobRegistered"
        );
        assert_eq!(short_name("test::Rewards"), "test::Rewards");
    }
}
