//! BCS (de)serialization of the wire types (§6), through serde and the `bcs` crate.
//!
//! Every wire type derives (or hand-implements) serde so that its BCS form is exactly the one in
//! §6, and the [`Bcs`] trait gives it `to_bcs` / `from_bcs` with an error naming the type.
//! Decoding untrusted bytes is safe: `bcs` rejects non-canonical ULEB128, trailing bytes and
//! lengths above 2³¹ − 1; a byte-vector length is checked against the remaining input before
//! anything is copied; sequences of structures (pair hashes, proof paths, recovery symbols) go
//! through [`bounded_seq`], which reserves at most 64 elements whatever the prefix claims and
//! grows only as elements actually parse. Allocation is therefore bounded by the input length.

use serde::{Serialize, de::DeserializeOwned};
use thiserror::Error;

/// A value could not be converted to or from BCS.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum BcsError {
    /// The bytes are not a valid BCS encoding of the type.
    #[error("invalid BCS for {type_name}: {reason}")]
    Deserialize {
        /// The type being decoded.
        type_name: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// The value cannot be encoded (a sequence longer than BCS allows).
    #[error("cannot encode {type_name} as BCS: {reason}")]
    Serialize {
        /// The type being encoded.
        type_name: &'static str,
        /// What was wrong.
        reason: String,
    },
}

/// Conversion to and from the BCS bytes of §6.
pub trait Bcs: Serialize + DeserializeOwned {
    /// The name used in error messages.
    const TYPE_NAME: &'static str;

    /// The BCS bytes of `self`.
    fn to_bcs(&self) -> Result<Vec<u8>, BcsError> {
        to_bcs_named(self, Self::TYPE_NAME)
    }

    /// Decodes a value; the whole input must be consumed.
    fn from_bcs(bytes: &[u8]) -> Result<Self, BcsError> {
        bcs::from_bytes(bytes).map_err(|error| BcsError::Deserialize {
            type_name: Self::TYPE_NAME,
            reason: error.to_string(),
        })
    }
}

/// Serializes `value`, naming it `type_name` in the error.
pub(crate) fn to_bcs_named<T: Serialize + ?Sized>(
    value: &T,
    type_name: &'static str,
) -> Result<Vec<u8>, BcsError> {
    bcs::to_bytes(value).map_err(|error| BcsError::Serialize {
        type_name,
        reason: error.to_string(),
    })
}

/// Implements [`Bcs`] for types whose name needs no generic parameters.
macro_rules! impl_bcs {
    ($($type:ty => $name:literal),* $(,)?) => {
        $(impl $crate::bcs_codec::Bcs for $type {
            const TYPE_NAME: &'static str = $name;
        })*
    };
}
pub(crate) use impl_bcs;

/// Serde `deserialize_with` for sequences of untrusted length: pre-allocates at most
/// [`PREALLOCATE`](bounded_seq::PREALLOCATE) elements whatever the length prefix claims, then
/// grows only as elements actually parse, so the allocation is bounded by the input length.
pub(crate) mod bounded_seq {
    use std::{fmt, marker::PhantomData};

    use serde::{
        Deserialize, Deserializer,
        de::{SeqAccess, Visitor},
    };

    /// The most elements reserved up front.
    pub(crate) const PREALLOCATE: usize = 64;

    struct BoundedVisitor<T>(PhantomData<T>);

    impl<'de, T: Deserialize<'de>> Visitor<'de> for BoundedVisitor<T> {
        type Value = Vec<T>;

        fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
            formatter.write_str("a sequence")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut sequence: A) -> Result<Vec<T>, A::Error> {
            let mut values = Vec::with_capacity(sequence.size_hint().unwrap_or(0).min(PREALLOCATE));
            while let Some(value) = sequence.next_element()? {
                values.push(value);
            }
            Ok(values)
        }
    }

    /// Deserializes a `Vec<T>` without trusting its length prefix for allocation.
    pub(crate) fn deserialize<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        deserializer.deserialize_seq(BoundedVisitor(PhantomData))
    }
}
