//! Large zero-initialised buffers for encoder output.
//!
//! Encoding 64 MiB at n = 1000 writes about 300 MB of fresh slivers. With 4 KiB pages that is
//! some 75 000 page faults, a fifth of the encoding time. Buffers of at least
//! [`MAPPED_THRESHOLD`] bytes are therefore anonymous memory maps advised to use transparent huge
//! pages (Linux `MADV_HUGEPAGE`; elsewhere, or if mapping fails, a plain `Vec`). Anonymous maps
//! are plain memory: no file is involved.

use std::ops::{Deref, DerefMut};

use bytes::Bytes;
use memmap2::{MmapMut, MmapOptions};

/// Buffers at least this large are memory-mapped.
const MAPPED_THRESHOLD: usize = 4 << 20;

/// A zeroed byte buffer, memory-mapped when large.
#[derive(Debug)]
pub(crate) enum LargeBuffer {
    Mapped(MmapMut),
    Heap(Vec<u8>),
}

impl LargeBuffer {
    /// A buffer of `length` zero bytes.
    pub(crate) fn zeroed(length: usize) -> Self {
        if length >= MAPPED_THRESHOLD
            && let Ok(map) = MmapOptions::new().len(length).map_anon()
        {
            #[cfg(target_os = "linux")]
            {
                // Only a hint: without huge pages the buffer still works.
                let _ = map.advise(memmap2::Advice::HugePage);
            }
            return Self::Mapped(map);
        }
        Self::Heap(vec![0; length])
    }

    /// Turns the buffer into shareable bytes without copying.
    pub(crate) fn into_bytes(self) -> Bytes {
        match self {
            Self::Mapped(map) => Bytes::from_owner(map),
            Self::Heap(vec) => Bytes::from(vec),
        }
    }
}

impl Deref for LargeBuffer {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Self::Mapped(map) => map,
            Self::Heap(vec) => vec,
        }
    }
}

impl DerefMut for LargeBuffer {
    fn deref_mut(&mut self) -> &mut [u8] {
        match self {
            Self::Mapped(map) => map,
            Self::Heap(vec) => vec,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_zeroed_and_convert() {
        for length in [0, 10, MAPPED_THRESHOLD, MAPPED_THRESHOLD + 3] {
            let mut buffer = LargeBuffer::zeroed(length);
            assert_eq!(buffer.len(), length);
            assert!(buffer.iter().all(|&byte| byte == 0));
            if length > 0 {
                buffer[length - 1] = 7;
            }
            let bytes = buffer.into_bytes();
            assert_eq!(bytes.len(), length);
            assert_eq!(bytes.last().copied(), (length > 0).then_some(7));
        }
    }
}
