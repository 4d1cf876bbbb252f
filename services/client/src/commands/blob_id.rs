//! `walrus blob-id <FILE> [--n-shards N]`: the blob ID a file would get when stored on a system
//! of `N` shards, computed with the metadata-only encoding path (no slivers are kept).

use std::{fs, path::PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use serde::Serialize;
use walrus_core::EncodingConfig;

/// Arguments of `walrus blob-id`.
#[derive(Debug, Args)]
pub(crate) struct BlobIdArgs {
    /// The file to compute the blob ID of.
    file: PathBuf,

    /// The number of shards of the system the blob is for (the blob ID depends on it).
    #[arg(long, default_value_t = 1000)]
    n_shards: u16,
}

/// The `--json` output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct BlobIdOutput {
    blob_id: String,
    unencoded_length: u64,
    n_shards: u16,
    root_hash: String,
}

pub(crate) fn run(args: &BlobIdArgs, json: bool) -> Result<()> {
    let config = EncodingConfig::new(args.n_shards).context("invalid --n-shards")?;
    let path = args.file.display();
    let length = fs::metadata(&args.file)
        .with_context(|| format!("cannot read {path}"))?
        .len();
    let max = config.max_blob_size();
    if length > max {
        bail!(
            "{path} is {length} bytes, more than the maximum blob size of {max} bytes for {} \
             shards",
            args.n_shards
        );
    }
    let blob = fs::read(&args.file).with_context(|| format!("cannot read {path}"))?;
    let metadata = config
        .compute_metadata(&blob)
        .with_context(|| format!("cannot encode {path}"))?;
    if json {
        let output = BlobIdOutput {
            blob_id: metadata.blob_id().to_string(),
            unencoded_length: metadata.metadata().unencoded_length(),
            n_shards: args.n_shards,
            root_hash: hex::encode(metadata.metadata().compute_root_hash().bytes()),
        };
        println!("{}", serde_json::to_string(&output)?);
    } else {
        println!("{}", metadata.blob_id());
    }
    Ok(())
}

/// Arguments of `walrus convert-blob-id`.
#[derive(Debug, Args)]
pub(crate) struct ConvertArgs {
    /// The blob ID as a decimal number (Move's `u256` of the blob ID, as events and
    /// `blob::blob_id` give it).
    blob_id_decimal: String,
}

/// `walrus convert-blob-id`: the blob ID of a decimal `u256` (its 32 little-endian bytes, as
/// Move and the reference convert it).
pub(crate) fn convert(args: &ConvertArgs, json: bool) -> Result<()> {
    let text = args.blob_id_decimal.trim();
    let blob_id = match decimal_to_le_bytes(text) {
        Some(bytes) => walrus_core::BlobId(bytes),
        None => match text.parse::<walrus_core::BlobId>() {
            Ok(blob_id) => bail!(
                "{text:?} is already a Walrus blob ID; as a decimal number it is {}",
                le_bytes_to_decimal(&blob_id.0)
            ),
            Err(_) => bail!("{text:?} is not a decimal number below 2^256"),
        },
    };
    if json {
        println!("{}", serde_json::json!({ "blobId": blob_id.to_string() }));
    } else {
        println!("Walrus blob ID: {blob_id}");
    }
    Ok(())
}

/// The 32 little-endian bytes of a decimal number below 2^256.
fn decimal_to_le_bytes(text: &str) -> Option<[u8; 32]> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut bytes = [0u8; 32];
    for digit in text.bytes().map(|b| u32::from(b - b'0')) {
        let mut carry = digit;
        for byte in &mut bytes {
            let value = u32::from(*byte) * 10 + carry;
            *byte = (value & 0xff) as u8;
            carry = value >> 8;
        }
        if carry != 0 {
            return None;
        }
    }
    Some(bytes)
}

/// The decimal form of 32 little-endian bytes.
fn le_bytes_to_decimal(bytes: &[u8; 32]) -> String {
    let mut number = *bytes;
    let mut digits = Vec::new();
    while number.iter().any(|&b| b != 0) {
        let mut remainder = 0u32;
        for byte in number.iter_mut().rev() {
            let value = (remainder << 8) | u32::from(*byte);
            *byte = (value / 10) as u8;
            remainder = value % 10;
        }
        digits.push(b'0' + remainder as u8);
    }
    if digits.is_empty() {
        return "0".to_owned();
    }
    digits.reverse();
    String::from_utf8(digits).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_blob_ids_are_little_endian_u256() {
        assert_eq!(decimal_to_le_bytes("0"), Some([0; 32]));
        let mut one = [0u8; 32];
        one[0] = 1;
        assert_eq!(decimal_to_le_bytes("1"), Some(one));
        let mut b = [0u8; 32];
        b[1] = 1; // 256
        assert_eq!(decimal_to_le_bytes("256"), Some(b));
        let max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
        assert_eq!(decimal_to_le_bytes(max), Some([0xff; 32]));
        // 2^256 does not fit; neither do signs, spaces or hex.
        let over = "115792089237316195423570985008687907853269984665640564039457584007913129639936";
        assert_eq!(decimal_to_le_bytes(over), None);
        for bad in ["", "-1", "1 2", "0x10", "1e3"] {
            assert_eq!(decimal_to_le_bytes(bad), None, "{bad}");
        }
        for bytes in [[0u8; 32], one, b, [0xff; 32], [0x5a; 32]] {
            assert_eq!(
                decimal_to_le_bytes(&le_bytes_to_decimal(&bytes)),
                Some(bytes)
            );
        }
        assert_eq!(le_bytes_to_decimal(&[0xff; 32]), max);
    }
}
