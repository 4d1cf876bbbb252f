//! Decoding a blob from slivers (§8): from any `R = n − 2f` distinct primary slivers or any
//! `C = n − f` distinct secondary slivers, in any order; slivers with the wrong index, size or
//! symbol size, and duplicates, are skipped. Then an optional consistency check, so a blob whose
//! slivers were encoded inconsistently is reported instead of returned.
//!
//! The Reed–Solomon decoder has a large fixed cost per call (it evaluates the erasure-locator
//! polynomial over the whole field), so all codewords that share the erasure pattern are decoded
//! in a few wide calls (see `wide`) rather than one call per column or row.

use bytes::Bytes;
use rayon::prelude::*;
use thiserror::Error;

use crate::{
    axis::{Axis, EncodingAxis},
    buffer::LargeBuffer,
    config::{DataTooLargeError, EncodingConfig},
    encoder::{EncodeError, Geometry, push_unpacked},
    hash::BatchHasher,
    ids::BlobId,
    merkle::{Node, root_from_leaf_hashes},
    metadata::VerifiedBlobMetadataWithId,
    parallel::{lane_ranges, lanes_per_call, regroup_chunks},
    reed_solomon::{ReedSolomonError, with_decoder, with_encoder},
    sliver::SliverData,
    wide::WideLayout,
};

/// Target size of one wide shard in the decoder's Reed–Solomon calls. Larger than the encoder's
/// because each decoder call has a fixed cost of about a third of a millisecond.
const DECODE_SHARD_BYTES: usize = 4 << 10;

/// Target size of one wide shard when re-encoding for the consistency check.
const CHECK_SHARD_BYTES: usize = 4 << 10;

/// How a decoded blob is checked against its metadata (§8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConsistencyCheck {
    /// Re-encode the systematic slivers that were *not* among the inputs and compare their
    /// hashes with the metadata. The inputs themselves must have been verified
    /// ([`SliverData::verify`]), as a client does when it receives them.
    #[default]
    Default,
    /// Recompute the whole blob ID from the decoded blob.
    Strict,
    /// No check of the decoded blob: only for blobs whose writer is trusted (the reference's
    /// `--skip-consistency-check`). The inputs must still have been verified against the
    /// metadata; a wrongly encoded blob then decodes to whatever its slivers give, which may
    /// differ with the slivers used.
    Skip,
}

/// A blob could not be decoded, or decoded to something inconsistent with its metadata.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum DecodeError {
    /// Fewer usable distinct slivers than needed.
    #[error(
        "not enough {axis} slivers to decode: {received} distinct usable, {needed} needed \
         ({skipped} skipped for wrong index, size or symbol size, or as duplicates)"
    )]
    NotEnoughSlivers {
        /// The axis of the slivers.
        axis: Axis,
        /// `R` for primary, `C` for secondary slivers.
        needed: usize,
        /// Distinct usable slivers received.
        received: usize,
        /// Slivers skipped.
        skipped: usize,
    },
    /// The unencoded length cannot be encoded with this shard count.
    #[error(transparent)]
    DataTooLarge(#[from] DataTooLargeError),
    /// The blob would not fit in this platform's address space.
    #[error("decoding {length} bytes needs more memory than this platform can address")]
    TooLargeForPlatform {
        /// The blob length.
        length: u64,
    },
    /// The metadata are for another shard count than the configuration.
    #[error("metadata are for {metadata} shards, but the encoding config has {config}")]
    ShardCountMismatch {
        /// The number of pair hashes in the metadata.
        metadata: usize,
        /// The configuration's shard count.
        config: u16,
    },
    /// Default check: a re-encoded systematic sliver does not match the metadata, so the blob
    /// was encoded inconsistently.
    #[error(
        "inconsistent encoding: re-encoded {axis} sliver {index} has hash {computed}, \
         but the metadata hold {expected}"
    )]
    InconsistentEncoding {
        /// The axis of the sliver.
        axis: Axis,
        /// The sliver index.
        index: u16,
        /// The hash in the metadata.
        expected: Node,
        /// The hash of the re-encoded sliver.
        computed: Node,
    },
    /// Strict check: the decoded blob has another blob ID.
    #[error("decoded blob has blob ID {computed}, expected {expected}")]
    BlobIdMismatch {
        /// The blob ID of the metadata.
        expected: BlobId,
        /// The blob ID of the decoded bytes.
        computed: BlobId,
    },
    /// reed-solomon-simd failed (not expected with validated inputs).
    #[error(transparent)]
    ReedSolomon(#[from] ReedSolomonError),
}

impl From<EncodeError> for DecodeError {
    fn from(error: EncodeError) -> Self {
        match error {
            EncodeError::DataTooLarge(error) => Self::DataTooLarge(error),
            EncodeError::TooLargeForPlatform { length } => Self::TooLargeForPlatform { length },
            EncodeError::ReedSolomon(error) => Self::ReedSolomon(error),
        }
    }
}

fn min_jobs() -> usize {
    2 * rayon::current_num_threads()
}

/// The slivers chosen for decoding, and the systematic indices missing among them.
struct Selection<'a, A: EncodingAxis> {
    slivers: Vec<&'a SliverData<A>>,
    missing: Vec<usize>,
}

fn select<'a, A: EncodingAxis>(
    geometry: &Geometry,
    slivers: impl IntoIterator<Item = &'a SliverData<A>>,
) -> Result<Selection<'a, A>, DecodeError> {
    let (needed, symbols_per_sliver) = if A::IS_PRIMARY {
        (geometry.r, geometry.c)
    } else {
        (geometry.c, geometry.r)
    };
    let expected_length = symbols_per_sliver * geometry.s;
    let mut seen = vec![false; geometry.n];
    let mut chosen = Vec::with_capacity(needed);
    let mut skipped = 0;
    for sliver in slivers {
        let index = sliver.index().as_usize();
        let usable = index < geometry.n
            && !seen[index]
            && usize::from(sliver.symbol_size().get()) == geometry.s
            && sliver.data().len() == expected_length;
        if !usable {
            skipped += 1;
            continue;
        }
        seen[index] = true;
        chosen.push(sliver);
        if chosen.len() == needed {
            break;
        }
    }
    if chosen.len() < needed {
        return Err(DecodeError::NotEnoughSlivers {
            axis: A::AXIS,
            needed,
            received: chosen.len(),
            skipped,
        });
    }
    let missing = (0..needed).filter(|&index| !seen[index]).collect();
    Ok(Selection {
        slivers: chosen,
        missing,
    })
}

impl EncodingConfig {
    /// Decodes a blob of `unencoded_length` bytes from slivers of axis `A`, without checking it
    /// against metadata. Needs `R` distinct usable primary or `C` secondary slivers; others are
    /// skipped.
    pub fn decode<'a, A: EncodingAxis>(
        &self,
        unencoded_length: u64,
        slivers: impl IntoIterator<Item = &'a SliverData<A>>,
    ) -> Result<Bytes, DecodeError> {
        let geometry = Geometry::new(self, unencoded_length)?;
        let (matrix, _) = decode_padded(&geometry, slivers)?;
        Ok(truncate(matrix, &geometry))
    }

    /// Decodes a blob from slivers of axis `A` and checks the result against `metadata`
    /// (§8): see [`ConsistencyCheck`].
    pub fn decode_and_verify<'a, A: EncodingAxis>(
        &self,
        metadata: &VerifiedBlobMetadataWithId,
        slivers: impl IntoIterator<Item = &'a SliverData<A>>,
        check: ConsistencyCheck,
    ) -> Result<Bytes, DecodeError> {
        if metadata.n_shards() != self.n() {
            return Err(DecodeError::ShardCountMismatch {
                metadata: metadata.n_shards(),
                config: self.n_shards(),
            });
        }
        let geometry = Geometry::new(self, metadata.metadata().unencoded_length())?;
        let (matrix, missing) = decode_padded(&geometry, slivers)?;
        if check == ConsistencyCheck::Default {
            check_systematic_slivers::<A>(&geometry, metadata, &matrix, &missing)?;
        }
        let blob = truncate(matrix, &geometry);
        if check == ConsistencyCheck::Strict {
            let computed = *self.compute_metadata(&blob)?.blob_id();
            if computed != *metadata.blob_id() {
                return Err(DecodeError::BlobIdMismatch {
                    expected: *metadata.blob_id(),
                    computed,
                });
            }
        }
        Ok(blob)
    }
}

/// The first `length` bytes of the decoded matrix, without copying.
fn truncate(matrix: LargeBuffer, geometry: &Geometry) -> Bytes {
    // `Geometry::new` checked that the length fits in usize; it is at most `R·C·s`.
    let length = usize::try_from(geometry.length).unwrap_or(usize::MAX);
    let bytes = matrix.into_bytes();
    bytes.slice(..length.min(bytes.len()))
}

/// Decodes the zero-padded message matrix (`R·C·s` bytes, row-major) and returns it with the
/// systematic sliver indices that were not among the inputs.
fn decode_padded<'a, A: EncodingAxis>(
    geometry: &Geometry,
    slivers: impl IntoIterator<Item = &'a SliverData<A>>,
) -> Result<(LargeBuffer, Vec<usize>), DecodeError> {
    let selection = select(geometry, slivers)?;
    let mut matrix = LargeBuffer::zeroed(geometry.r * geometry.row_bytes());
    if A::IS_PRIMARY {
        decode_rows(geometry, &selection, &mut matrix)?;
    } else {
        decode_columns(geometry, &selection, &mut matrix)?;
    }
    Ok((matrix, selection.missing))
}

/// Primary decoding: rows `0..R` from `R` rows, column batch by column batch.
fn decode_rows<A: EncodingAxis>(
    geometry: &Geometry,
    selection: &Selection<'_, A>,
    matrix: &mut [u8],
) -> Result<(), DecodeError> {
    let Geometry { f, r, c, s, .. } = *geometry;
    let row_bytes = geometry.row_bytes();
    let mut systematic: Vec<Option<&[u8]>> = vec![None; r];
    for sliver in &selection.slivers {
        if let Some(slot) = systematic.get_mut(sliver.index().as_usize()) {
            *slot = Some(sliver.data());
        }
    }
    matrix
        .par_chunks_mut(row_bytes)
        .zip(systematic)
        .for_each(|(row, sliver)| {
            if let Some(data) = sliver {
                row.copy_from_slice(data);
            }
        });
    if selection.missing.is_empty() {
        return Ok(());
    }
    let lanes = lanes_per_call(s, c, DECODE_SHARD_BYTES, min_jobs());
    let batches = lane_ranges(c, lanes);
    let mut missing_rows = selection.missing.iter().peekable();
    let rows = matrix
        .chunks_exact_mut(row_bytes)
        .enumerate()
        .filter_map(|(index, row)| missing_rows.next_if_eq(&&index).map(|_| row));
    let pieces = regroup_chunks(rows, lanes * s, batches.len());
    batches
        .into_par_iter()
        .zip(pieces)
        .try_for_each(|(columns, mut pieces)| {
            let layout = WideLayout::new(s, columns.len());
            let shard_bytes = layout.shard_bytes();
            with_decoder(r, 2 * f, shard_bytes, |decoder| {
                let mut wide = vec![0u8; shard_bytes];
                for sliver in &selection.slivers {
                    let segment = &sliver.data()[columns.start * s..columns.end * s];
                    let shard = if layout.is_concatenation() {
                        segment
                    } else {
                        layout.pack_contiguous(segment, &mut wide);
                        &wide[..]
                    };
                    let index = sliver.index().as_usize();
                    if index < r {
                        decoder.add_original_shard(index, shard)?;
                    } else {
                        decoder.add_recovery_shard(index - r, shard)?;
                    }
                }
                let result = decoder.decode()?;
                for (&row, piece) in selection.missing.iter().zip(pieces.iter_mut()) {
                    if let Some(restored) = result.restored_original(row) {
                        layout.unpack_contiguous(restored, piece);
                    }
                }
                Ok(())
            })
        })?;
    Ok(())
}

/// Secondary decoding: columns `0..C` from `C` columns, row batch by row batch.
fn decode_columns<A: EncodingAxis>(
    geometry: &Geometry,
    selection: &Selection<'_, A>,
    matrix: &mut [u8],
) -> Result<(), DecodeError> {
    let Geometry { f, r, c, s, .. } = *geometry;
    let row_bytes = geometry.row_bytes();
    let lanes = lanes_per_call(s, r, DECODE_SHARD_BYTES, min_jobs());
    let batches = lane_ranges(r, lanes);
    matrix
        .par_chunks_mut(lanes * row_bytes)
        .zip(batches)
        .try_for_each(|(chunk, rows)| {
            for sliver in &selection.slivers {
                let column = sliver.index().as_usize();
                if column < c {
                    for (lane, row) in rows.clone().enumerate() {
                        let start = lane * row_bytes + column * s;
                        chunk[start..start + s]
                            .copy_from_slice(&sliver.data()[row * s..(row + 1) * s]);
                    }
                }
            }
            if selection.missing.is_empty() {
                return Ok(());
            }
            let layout = WideLayout::new(s, rows.len());
            let shard_bytes = layout.shard_bytes();
            with_decoder(c, f, shard_bytes, |decoder| {
                let mut wide = vec![0u8; shard_bytes];
                for sliver in &selection.slivers {
                    let segment = &sliver.data()[rows.start * s..rows.end * s];
                    let shard = if layout.is_concatenation() {
                        segment
                    } else {
                        layout.pack_contiguous(segment, &mut wide);
                        &wide[..]
                    };
                    let index = sliver.index().as_usize();
                    if index < c {
                        decoder.add_original_shard(index, shard)?;
                    } else {
                        decoder.add_recovery_shard(index - c, shard)?;
                    }
                }
                let result = decoder.decode()?;
                for &column in &selection.missing {
                    if let Some(restored) = result.restored_original(column) {
                        for lane in 0..layout.lanes() {
                            let start = lane * row_bytes + column * s;
                            layout.unpack(lane, restored, &mut chunk[start..start + s]);
                        }
                    }
                }
                Ok(())
            })
        })?;
    Ok(())
}

/// The Default check: the systematic slivers of axis `A` listed in `missing` (not among the
/// inputs) are re-encoded from `matrix` and their Merkle roots compared with the metadata.
fn check_systematic_slivers<A: EncodingAxis>(
    geometry: &Geometry,
    metadata: &VerifiedBlobMetadataWithId,
    matrix: &[u8],
    missing: &[usize],
) -> Result<(), DecodeError> {
    let roots = if A::IS_PRIMARY {
        row_merkle_roots(geometry, matrix, missing)?
    } else {
        column_merkle_roots(geometry, matrix, missing)?
    };
    for (&index, computed) in missing.iter().zip(roots) {
        let index = crate::encoder::index_u16(index);
        let expected = metadata
            .metadata()
            .sliver_hash::<A>(crate::ids::SliverIndex(index))
            .copied()
            .unwrap_or(Node::Empty);
        if computed != expected {
            return Err(DecodeError::InconsistentEncoding {
                axis: A::AXIS,
                index,
                expected,
                computed,
            });
        }
    }
    Ok(())
}

/// The primary sliver hashes of rows `rows` (each `< R`) of the message matrix.
pub(crate) fn row_merkle_roots(
    geometry: &Geometry,
    matrix: &[u8],
    rows: &[usize],
) -> Result<Vec<Node>, ReedSolomonError> {
    let Geometry { n, f, c, s, .. } = *geometry;
    let row_bytes = geometry.row_bytes();
    let lanes = lanes_per_call(s, rows.len(), CHECK_SHARD_BYTES, min_jobs());
    let batches: Vec<&[usize]> = rows.chunks(lanes.max(1)).collect();
    let roots: Result<Vec<Vec<Node>>, ReedSolomonError> = batches
        .into_par_iter()
        .map(|batch| {
            let layout = WideLayout::new(s, batch.len());
            let cell = |lane: usize, column: usize| {
                let start = batch[lane] * row_bytes + column * s;
                &matrix[start..start + s]
            };
            with_encoder(c, f, layout.shard_bytes(), |encoder| {
                let mut wide = vec![0u8; layout.shard_bytes()];
                for column in 0..c {
                    for lane in 0..batch.len() {
                        layout.pack(lane, cell(lane, column), &mut wide);
                    }
                    encoder.add_original_shard(&wide)?;
                }
                let result = encoder.encode()?;
                let parity: Vec<&[u8]> = result.recovery_iter().collect();
                let mut leaves = vec![[0u8; 32]; batch.len() * n];
                let mut hasher = BatchHasher::for_leaves(s);
                for (lane, row_leaves) in (0..).zip(leaves.chunks_exact_mut(n)) {
                    let (systematic, extension) = row_leaves.split_at_mut(c);
                    for (column, leaf) in (0..).zip(systematic) {
                        hasher.push_leaf(leaf, cell(lane, column));
                    }
                    for (wide, leaf) in parity.iter().zip(extension) {
                        push_unpacked(&mut hasher, leaf, &layout, lane, wide);
                    }
                }
                hasher.finish();
                Ok(leaves.chunks_exact(n).map(root_from_leaf_hashes).collect())
            })
        })
        .collect();
    Ok(roots?.into_iter().flatten().collect())
}

/// The secondary sliver hashes of columns `columns` (each `< C`) of the message matrix.
pub(crate) fn column_merkle_roots(
    geometry: &Geometry,
    matrix: &[u8],
    columns: &[usize],
) -> Result<Vec<Node>, ReedSolomonError> {
    let Geometry { n, f, r, s, .. } = *geometry;
    let row_bytes = geometry.row_bytes();
    let lanes = lanes_per_call(s, columns.len(), CHECK_SHARD_BYTES, min_jobs());
    let batches: Vec<&[usize]> = columns.chunks(lanes.max(1)).collect();
    let roots: Result<Vec<Vec<Node>>, ReedSolomonError> = batches
        .into_par_iter()
        .map(|batch| {
            let layout = WideLayout::new(s, batch.len());
            let cell = |lane: usize, row: usize| {
                let start = row * row_bytes + batch[lane] * s;
                &matrix[start..start + s]
            };
            with_encoder(r, 2 * f, layout.shard_bytes(), |encoder| {
                let mut wide = vec![0u8; layout.shard_bytes()];
                for row in 0..r {
                    for lane in 0..batch.len() {
                        layout.pack(lane, cell(lane, row), &mut wide);
                    }
                    encoder.add_original_shard(&wide)?;
                }
                let result = encoder.encode()?;
                let parity: Vec<&[u8]> = result.recovery_iter().collect();
                let mut leaves = vec![[0u8; 32]; batch.len() * n];
                let mut hasher = BatchHasher::for_leaves(s);
                for (lane, column_leaves) in (0..).zip(leaves.chunks_exact_mut(n)) {
                    let (systematic, extension) = column_leaves.split_at_mut(r);
                    for (row, leaf) in (0..).zip(systematic) {
                        hasher.push_leaf(leaf, cell(lane, row));
                    }
                    for (wide, leaf) in parity.iter().zip(extension) {
                        push_unpacked(&mut hasher, leaf, &layout, lane, wide);
                    }
                }
                hasher.finish();
                Ok(leaves.chunks_exact(n).map(root_from_leaf_hashes).collect())
            })
        })
        .collect();
    Ok(roots?.into_iter().flatten().collect())
}
