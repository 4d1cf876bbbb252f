//! Identifiers and indices: [`BlobId`], the index newtypes ([`ShardIndex`], [`SliverPairIndex`],
//! [`SliverIndex`]), [`SymbolId`], [`Epoch`] and the [`EncodingType`] (§5, §6, §11).

use std::{fmt, str::FromStr};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, Deserializer, Serialize, Serializer, de};
use thiserror::Error;

use crate::hash::{Digest, blake2b256};

/// A Walrus epoch number (a Move `u32`).
pub type Epoch = u32;

/// A number of epochs (a Move `u32`).
pub type EpochCount = u32;

// -------------------------------------------------------------------------------------------------
// BlobId
// -------------------------------------------------------------------------------------------------

/// The identifier of a blob: `blake2b256(0x01 ‖ LE64(unencoded_length) ‖ root_hash)` (§5).
///
/// Its text form is base64url without padding (43 characters); BCS writes the 32 bytes as-is.
/// On chain it is a Move `u256`: the **little-endian** integer of the 32 bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct BlobId(pub [u8; 32]);

/// The text given to [`BlobId::from_str`] is not a blob ID.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ParseBlobIdError {
    /// The text is not valid base64url without padding.
    #[error("blob ID {text:?} is not valid base64url without padding")]
    InvalidBase64 {
        /// The rejected text.
        text: String,
    },
    /// The text decodes to the wrong number of bytes.
    #[error("blob ID {text:?} decodes to {length} bytes, expected 32")]
    WrongLength {
        /// The rejected text.
        text: String,
        /// The decoded length.
        length: usize,
    },
}

/// The text is not a decimal `u256`.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ParseU256Error {
    /// The text is empty or holds a character other than `0`–`9`.
    #[error("{text:?} is not a decimal integer")]
    NotDecimal {
        /// The rejected text.
        text: String,
    },
    /// The number does not fit in 256 bits.
    #[error("{text:?} does not fit in 256 bits")]
    Overflow {
        /// The rejected text.
        text: String,
    },
}

impl BlobId {
    /// The length of a blob ID in bytes.
    pub const LENGTH: usize = 32;

    /// The blob ID of a blob with the given root hash, encoding type and unencoded length (§5).
    pub fn from_root_hash(
        root_hash: &Digest,
        encoding_type: EncodingType,
        unencoded_length: u64,
    ) -> Self {
        let mut preimage = [0u8; 1 + 8 + 32];
        preimage[0] = encoding_type.as_u8();
        preimage[1..9].copy_from_slice(&unencoded_length.to_le_bytes());
        preimage[9..].copy_from_slice(root_hash);
        Self(blake2b256(&preimage))
    }

    /// The 32 raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The 32 bytes as the little-endian representation of the Move `u256` (they are the same
    /// bytes: a Move `u256` is BCS-encoded little-endian).
    pub fn to_u256_le_bytes(&self) -> [u8; 32] {
        self.0
    }

    /// The blob ID whose Move `u256` value has these little-endian bytes.
    pub fn from_u256_le_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The Move `u256` value in decimal, as Sui JSON shows it.
    pub fn to_u256_decimal(&self) -> String {
        u256_le_to_decimal(&self.0)
    }

    /// Parses the decimal Move `u256` form back into a blob ID.
    pub fn from_u256_decimal(text: &str) -> Result<Self, ParseU256Error> {
        decimal_to_u256_le(text).map(Self)
    }

    /// The shard-rotation offset: the 32 bytes read as a **big-endian** integer, modulo
    /// `n_shards` (§3). Returns 0 for `n_shards == 0`.
    pub fn rotation_offset(&self, n_shards: u16) -> u16 {
        if n_shards == 0 {
            return 0;
        }
        let modulus = u32::from(n_shards);
        let offset = self
            .0
            .iter()
            .fold(0u32, |acc, &byte| (acc * 256 + u32::from(byte)) % modulus);
        // The remainder is below `n_shards`, which is a u16.
        u16::try_from(offset).unwrap_or(0)
    }
}

impl fmt::Display for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&URL_SAFE_NO_PAD.encode(self.0))
    }
}

impl fmt::Debug for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobId({self})")
    }
}

impl FromStr for BlobId {
    type Err = ParseBlobIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        // 32 bytes are exactly 43 characters; refuse anything much longer before decoding it.
        if text.len() > 64 {
            return Err(ParseBlobIdError::WrongLength {
                text: text.chars().take(64).collect(),
                length: text.len() * 3 / 4,
            });
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| ParseBlobIdError::InvalidBase64 {
                text: text.to_owned(),
            })?;
        let array: [u8; 32] =
            bytes
                .as_slice()
                .try_into()
                .map_err(|_| ParseBlobIdError::WrongLength {
                    text: text.to_owned(),
                    length: bytes.len(),
                })?;
        Ok(Self(array))
    }
}

impl Serialize for BlobId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.collect_str(self)
        } else {
            self.0.serialize(serializer)
        }
    }
}

impl<'de> Deserialize<'de> for BlobId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            let text = String::deserialize(deserializer)?;
            text.parse().map_err(de::Error::custom)
        } else {
            <[u8; 32]>::deserialize(deserializer).map(Self)
        }
    }
}

/// Decimal text of the little-endian 256-bit integer `le`.
fn u256_le_to_decimal(le: &[u8; 32]) -> String {
    // Big-endian base-2^32 limbs, divided by 10^9 repeatedly.
    let mut limbs = [0u32; 8];
    for (index, limb) in limbs.iter_mut().enumerate() {
        let start = 32 - 4 * (index + 1);
        let mut word = [0u8; 4];
        word.copy_from_slice(&le[start..start + 4]);
        *limb = u32::from_le_bytes(word);
    }
    let mut chunks = Vec::new();
    while limbs.iter().any(|&limb| limb != 0) {
        let mut remainder = 0u64;
        for limb in limbs.iter_mut() {
            let value = (remainder << 32) | u64::from(*limb);
            // value / 1e9 < 2^32 because remainder < 1e9.
            *limb = u32::try_from(value / 1_000_000_000).unwrap_or(u32::MAX);
            remainder = value % 1_000_000_000;
        }
        chunks.push(remainder);
    }
    match chunks.split_last() {
        None => "0".to_owned(),
        Some((most_significant, rest)) => {
            let mut text = most_significant.to_string();
            for chunk in rest.iter().rev() {
                text.push_str(&format!("{chunk:09}"));
            }
            text
        }
    }
}

/// The little-endian 32 bytes of a decimal 256-bit integer.
fn decimal_to_u256_le(text: &str) -> Result<[u8; 32], ParseU256Error> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(ParseU256Error::NotDecimal {
            text: text.to_owned(),
        });
    }
    let mut le = [0u8; 32];
    for digit in text.bytes() {
        let mut carry = u16::from(digit - b'0');
        for byte in le.iter_mut() {
            let value = u16::from(*byte) * 10 + carry;
            *byte = value.to_le_bytes()[0];
            carry = value >> 8;
        }
        if carry != 0 {
            return Err(ParseU256Error::Overflow {
                text: text.to_owned(),
            });
        }
    }
    Ok(le)
}

// -------------------------------------------------------------------------------------------------
// Index newtypes
// -------------------------------------------------------------------------------------------------

macro_rules! index_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub u16);

        impl $name {
            /// Wraps a raw index.
            pub const fn new(index: u16) -> Self {
                Self(index)
            }

            /// The raw index.
            pub const fn get(self) -> u16 {
                self.0
            }

            /// The raw index as a `usize`, for indexing slices.
            pub const fn as_usize(self) -> usize {
                self.0 as usize
            }
        }

        impl From<u16> for $name {
            fn from(index: u16) -> Self {
                Self(index)
            }
        }

        impl From<$name> for u16 {
            fn from(index: $name) -> Self {
                index.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = std::num::ParseIntError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                text.parse().map(Self)
            }
        }
    };
}

index_type!(
    /// The index of a shard, `0..n_shards`. Shard `t` holds sliver pair
    /// `(n + t − offset) mod n`, where `offset` is [`BlobId::rotation_offset`].
    ShardIndex
);
index_type!(
    /// The index of a sliver pair, `0..n_shards`. Pair `p` holds primary sliver `p` and
    /// secondary sliver `n − 1 − p` (§3).
    SliverPairIndex
);
index_type!(
    /// The index of a sliver on its own axis, `0..n_shards`: a row of the expanded matrix for a
    /// primary sliver, a column for a secondary sliver (§3).
    SliverIndex
);

/// The position of one symbol in the expanded matrix: its row (primary sliver index) and column
/// (secondary sliver index). BCS: two `u16`; text: `"<primary>-<secondary>"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SymbolId {
    /// The row: index of the primary sliver holding the symbol.
    pub primary: SliverIndex,
    /// The column: index of the secondary sliver holding the symbol.
    pub secondary: SliverIndex,
}

/// The text given to [`SymbolId::from_str`] is not `"<u16>-<u16>"`.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("symbol ID {text:?} is not of the form \"<primary index>-<secondary index>\"")]
pub struct ParseSymbolIdError {
    /// The rejected text.
    pub text: String,
}

impl SymbolId {
    /// The symbol at row `primary`, column `secondary`.
    pub const fn new(primary: SliverIndex, secondary: SliverIndex) -> Self {
        Self { primary, secondary }
    }
}

impl fmt::Display for SymbolId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.primary, self.secondary)
    }
}

impl FromStr for SymbolId {
    type Err = ParseSymbolIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || ParseSymbolIdError {
            text: text.to_owned(),
        };
        let (primary, secondary) = text.split_once('-').ok_or_else(error)?;
        Ok(Self {
            primary: primary.parse().map_err(|_| error())?,
            secondary: secondary.parse().map_err(|_| error())?,
        })
    }
}

impl Serialize for SymbolId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.collect_str(self)
        } else {
            (self.primary, self.secondary).serialize(serializer)
        }
    }
}

impl<'de> Deserialize<'de> for SymbolId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            let text = String::deserialize(deserializer)?;
            text.parse().map_err(de::Error::custom)
        } else {
            let (primary, secondary) = <(SliverIndex, SliverIndex)>::deserialize(deserializer)?;
            Ok(Self { primary, secondary })
        }
    }
}

// -------------------------------------------------------------------------------------------------
// EncodingType
// -------------------------------------------------------------------------------------------------

/// The blob encoding. Only RS2 exists; its byte is `1` in the blob-ID preimage, in BCS and on
/// chain. Byte `0` was the retired RaptorQ variant and is rejected (§11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum EncodingType {
    /// RedStuff with Reed–Solomon (reed-solomon-simd) on both axes.
    Rs2 = 1,
}

/// An encoding-type byte other than RS2's `1`.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
#[error("unsupported encoding type {0} (only RS2 = 1 is supported; 0 was the retired RaptorQ)")]
pub struct UnsupportedEncodingTypeError(pub u8);

/// The text is not a name of RS2.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("unknown encoding type {text:?}; expected one of rs2, reed-solomon, redstuff/reed-solomon")]
pub struct ParseEncodingTypeError {
    /// The rejected text.
    pub text: String,
}

impl EncodingType {
    /// The symbol size must be a multiple of this (reed-solomon-simd needs even shard sizes).
    pub const fn required_alignment(self) -> u16 {
        2
    }

    /// The largest symbol size: `u16::MAX − 1`, the largest even `u16`.
    pub const fn max_symbol_size(self) -> u16 {
        u16::MAX - 1
    }

    /// The encoding-type byte.
    pub const fn as_u8(self) -> u8 {
        self as u8
    }

    /// The encoding type with this byte.
    pub const fn from_u8(byte: u8) -> Result<Self, UnsupportedEncodingTypeError> {
        match byte {
            1 => Ok(Self::Rs2),
            other => Err(UnsupportedEncodingTypeError(other)),
        }
    }
}

impl fmt::Display for EncodingType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rs2 => f.write_str("RedStuff/Reed-Solomon"),
        }
    }
}

impl FromStr for EncodingType {
    type Err = ParseEncodingTypeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "rs2" | "reed-solomon" | "redstuff/reed-solomon" => Ok(Self::Rs2),
            _ => Err(ParseEncodingTypeError {
                text: text.to_owned(),
            }),
        }
    }
}

/// The serde shape of [`EncodingType`]: an enum whose variant 0 is the retired RaptorQ.
#[derive(Serialize, Deserialize)]
enum EncodingTypeForSerde {
    RedStuffRaptorQ,
    #[serde(rename = "RS2")]
    Rs2,
}

impl Serialize for EncodingType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Rs2 => EncodingTypeForSerde::Rs2.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for EncodingType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match EncodingTypeForSerde::deserialize(deserializer)? {
            EncodingTypeForSerde::Rs2 => Ok(Self::Rs2),
            EncodingTypeForSerde::RedStuffRaptorQ => {
                Err(de::Error::custom(UnsupportedEncodingTypeError(0)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V3_HEX: &str = "e60ec4532e7c45e422af4b75d63cfbd3d69ee5c7594f6e1bb65a2f917a36f14f";

    fn v3() -> BlobId {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(V3_HEX, &mut bytes).unwrap();
        BlobId(bytes)
    }

    #[test]
    fn blob_id_text_roundtrip() {
        let id = v3();
        assert_eq!(
            id.to_string(),
            "5g7EUy58ReQir0t11jz709ae5cdZT24btlovkXo28U8"
        );
        assert_eq!(id.to_string().parse::<BlobId>().unwrap(), id);
    }

    #[test]
    fn blob_id_parse_errors_name_the_problem() {
        assert!(matches!(
            "not base64!".parse::<BlobId>(),
            Err(ParseBlobIdError::InvalidBase64 { .. })
        ));
        assert!(matches!(
            "AAAA".parse::<BlobId>(),
            Err(ParseBlobIdError::WrongLength { length: 3, .. })
        ));
        // Padding is not accepted.
        let padded = format!("{}=", v3());
        assert!("".parse::<BlobId>().is_err());
        assert!(padded.parse::<BlobId>().is_err());
        assert!("A".repeat(1000).parse::<BlobId>().is_err());
    }

    #[test]
    fn blob_id_u256_is_little_endian() {
        let id = v3();
        let decimal = id.to_u256_decimal();
        assert_eq!(
            decimal,
            "36158901179395618125763178839711849645138859724048530735617212903418184863462"
        );
        assert_eq!(BlobId::from_u256_decimal(&decimal).unwrap(), id);
        assert_eq!(BlobId([0; 32]).to_u256_decimal(), "0");
        assert_eq!(BlobId::from_u256_decimal("0").unwrap(), BlobId([0; 32]));
        let max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
        assert_eq!(BlobId::from_u256_decimal(max).unwrap(), BlobId([0xff; 32]));
        assert_eq!(BlobId([0xff; 32]).to_u256_decimal(), max);
        assert!(matches!(
            BlobId::from_u256_decimal(
                "115792089237316195423570985008687907853269984665640564039457584007913129639936"
            ),
            Err(ParseU256Error::Overflow { .. })
        ));
        assert!(matches!(
            BlobId::from_u256_decimal("12a"),
            Err(ParseU256Error::NotDecimal { .. })
        ));
    }

    #[test]
    fn rotation_offset_reads_big_endian() {
        assert_eq!(v3().rotation_offset(10), 7);
        let mut one = [0u8; 32];
        one[31] = 1;
        assert_eq!(BlobId(one).rotation_offset(1000), 1);
        assert_eq!(BlobId(one).rotation_offset(0), 0);
    }

    #[test]
    fn encoding_type_names_and_bytes() {
        assert_eq!(EncodingType::Rs2.to_string(), "RedStuff/Reed-Solomon");
        for name in ["rs2", "RS2", "reed-solomon", "RedStuff/Reed-Solomon"] {
            assert_eq!(name.parse::<EncodingType>().unwrap(), EncodingType::Rs2);
        }
        assert!("raptorq".parse::<EncodingType>().is_err());
        assert_eq!(EncodingType::from_u8(1), Ok(EncodingType::Rs2));
        assert_eq!(
            EncodingType::from_u8(0),
            Err(UnsupportedEncodingTypeError(0))
        );
        assert_eq!(bcs::to_bytes(&EncodingType::Rs2).unwrap(), [1]);
        assert!(bcs::from_bytes::<EncodingType>(&[0]).is_err());
        assert!(bcs::from_bytes::<EncodingType>(&[2]).is_err());
    }

    #[test]
    fn symbol_id_forms() {
        let id = SymbolId::new(SliverIndex(3), SliverIndex(700));
        assert_eq!(id.to_string(), "3-700");
        assert_eq!("3-700".parse::<SymbolId>().unwrap(), id);
        assert!("3_700".parse::<SymbolId>().is_err());
        assert!("3-70000".parse::<SymbolId>().is_err());
        assert_eq!(bcs::to_bytes(&id).unwrap(), [3, 0, 0xbc, 2]);
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"3-700\"");
    }

    #[test]
    fn blob_id_serde_forms() {
        let id = v3();
        assert_eq!(bcs::to_bytes(&id).unwrap(), id.0);
        assert_eq!(bcs::from_bytes::<BlobId>(&id.0).unwrap(), id);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        assert_eq!(serde_json::from_str::<BlobId>(&json).unwrap(), id);
    }
}
