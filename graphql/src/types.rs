//! Scalars and id formats shared by the schema: `BigInt` (decimal string, for FROST amounts and
//! u64 values above 2^53), object ids and addresses (`0x` + 64 hex digits), blob ids
//! (base64url without padding, 32 bytes).

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// An integer of any size, as a decimal string (JSON numbers lose precision above 2^53).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct BigInt(pub i128);

#[Scalar]
impl ScalarType for BigInt {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => s
                .parse::<i128>()
                .map(BigInt)
                .map_err(|_| InputValueError::custom(format!("{s:?} is not a decimal integer"))),
            Value::Number(n) => n
                .as_i64()
                .map(|v| BigInt(i128::from(v)))
                .ok_or_else(|| InputValueError::custom(format!("{n} is not an integer"))),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

impl From<i64> for BigInt {
    fn from(v: i64) -> Self {
        Self(i128::from(v))
    }
}

/// `0x` + hex of a 32-byte id or address.
pub fn hex_id(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// Parses an object id or address: `0x` + up to 64 hex digits (left-padded, as Sui does).
pub fn parse_id(what: &str, text: &str) -> async_graphql::Result<Vec<u8>> {
    let digits = text.strip_prefix("0x").unwrap_or(text);
    if digits.is_empty() || digits.len() > 64 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(async_graphql::Error::new(format!(
            "{what} {text:?}: expected 0x followed by 1 to 64 hex digits"
        )));
    }
    let padded = format!("{digits:0>64}");
    hex::decode(padded).map_err(|e| async_graphql::Error::new(format!("{what} {text:?}: {e}")))
}

/// A blob id's text form: base64url of its 32 bytes, without padding.
pub fn blob_id_text(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Parses a blob id (base64url of 32 bytes, without padding).
pub fn parse_blob_id(text: &str) -> async_graphql::Result<Vec<u8>> {
    let bytes = URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|_| {
            async_graphql::Error::new(format!("blobId {text:?}: not base64url (RFC 4648 §5)"))
        })?;
    if bytes.len() != 32 {
        return Err(async_graphql::Error::new(format!(
            "blobId {text:?}: {} bytes, a blob id has 32",
            bytes.len()
        )));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_and_print() {
        assert_eq!(parse_id("id", "0x1").ok().map(|v| v[31]), Some(1));
        assert!(parse_id("id", "0xzz").is_err());
        assert!(parse_id("id", &format!("0x{}", "1".repeat(65))).is_err());
        let blob = [7u8; 32];
        assert_eq!(
            parse_blob_id(&blob_id_text(&blob)).ok(),
            Some(blob.to_vec())
        );
        let message = parse_blob_id("AAAA")
            .err()
            .map(|e| e.message)
            .unwrap_or_default();
        assert!(message.contains("3 bytes"), "{message}");
    }
}
