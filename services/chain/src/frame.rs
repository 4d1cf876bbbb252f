//! Checksummed frames of an append-only log, shared by the devnet ledger's journal and the
//! storage node's event journal:
//!
//! ```text
//! frame = len: u32 LE (payload bytes) ‖ crc: u32 LE (CRC-32C of seq ‖ payload) ‖ seq: u64 LE ‖ payload
//! ```

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

/// Bytes before a frame's payload.
pub const FRAME_HEADER_LEN: u64 = 16;

/// CRC-32C of the sequence number (LE) followed by the payload.
pub fn frame_crc(seq: u64, payload: &[u8]) -> u32 {
    crc32c::crc32c_append(crc32c::crc32c(&seq.to_le_bytes()), payload)
}

/// Appends the frame of `payload` with sequence number `seq` to `buf`. Callers keep payloads
/// under their limit, far below 4 GiB.
pub fn encode_frame(buf: &mut Vec<u8>, seq: u64, payload: &[u8]) {
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    buf.extend_from_slice(&len.to_le_bytes());
    buf.extend_from_slice(&frame_crc(seq, payload).to_le_bytes());
    buf.extend_from_slice(&seq.to_le_bytes());
    buf.extend_from_slice(payload);
}

/// One frame read from a file.
#[derive(Debug)]
pub enum Frame {
    /// An intact frame; the next one starts at `next`.
    Record {
        /// Its sequence number.
        seq: u64,
        /// Its payload.
        payload: Vec<u8>,
        /// Where the next frame starts.
        next: u64,
    },
    /// The end of the file, exactly at a frame boundary.
    End,
    /// A frame cut short or damaged: why.
    Bad(String),
}

/// The frame at `offset` of `file` (`file_len` bytes long); a length above `max_len` is damage.
pub fn read_frame(file: &File, offset: u64, file_len: u64, max_len: u64) -> io::Result<Frame> {
    if offset == file_len {
        return Ok(Frame::End);
    }
    if file_len - offset < FRAME_HEADER_LEN {
        return Ok(Frame::Bad(format!(
            "record header cut short ({} of {FRAME_HEADER_LEN} bytes)",
            file_len - offset
        )));
    }
    let mut header = [0u8; FRAME_HEADER_LEN as usize];
    file.read_exact_at(&mut header, offset)?;
    let word = |at: usize| {
        u32::from_le_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    let len = u64::from(word(0));
    let crc = word(4);
    let mut seq_bytes = [0u8; 8];
    seq_bytes.copy_from_slice(&header[8..16]);
    let seq = u64::from_le_bytes(seq_bytes);
    if len > max_len {
        return Ok(Frame::Bad(format!("record length {len} exceeds the limit")));
    }
    let body = offset + FRAME_HEADER_LEN;
    if file_len - body < len {
        return Ok(Frame::Bad(format!(
            "record body cut short ({} of {len} bytes)",
            file_len - body
        )));
    }
    let mut payload = vec![0u8; len as usize];
    file.read_exact_at(&mut payload, body)?;
    if frame_crc(seq, &payload) != crc {
        return Ok(Frame::Bad("checksum mismatch".into()));
    }
    Ok(Frame::Record {
        seq,
        payload,
        next: body + len,
    })
}

/// Whether an intact frame with sequence number `seq` starts anywhere after `offset`: a damaged
/// frame followed by one is damage to acknowledged data, not a torn tail.
pub fn intact_frame_follows(
    file: &File,
    offset: u64,
    file_len: u64,
    seq: u64,
    max_len: u64,
) -> io::Result<bool> {
    let mut rest = vec![0u8; (file_len - offset) as usize];
    file.read_exact_at(&mut rest, offset)?;
    let needle = seq.to_le_bytes();
    for (i, window) in rest.windows(8).enumerate().skip(1) {
        // The sequence number sits 8 bytes into a frame.
        if window == needle && i >= 9 {
            let candidate = offset + i as u64 - 8;
            if let Frame::Record { seq: found, .. } =
                read_frame(file, candidate, file_len, max_len)?
                && found == seq
            {
                return Ok(true);
            }
        }
    }
    Ok(false)
}
