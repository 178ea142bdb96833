//! The log's formats, with no IO: RFC 6962 hashing, C2SP tlog-tiles (tiles of 256 hashes,
//! their paths, entry bundles), and tlog-checkpoint signed as a C2SP signed note with
//! Ed25519. The hashing, proofs and note signatures are the `tlog_tiles` and `signed_note`
//! crates (ports of Go's `golang.org/x/mod/sumdb/tlog` and `note`); this module is the glue:
//! tile arithmetic the service and `bankstatus verify` share.
//!
//! Where each part lives: `paths` the tile and entry-bundle paths; `bundle` an entry
//! bundle's bytes; `tree` tiles held in memory, growing the tree and reading hashes from
//! tiles; `note` the signing key and checkpoints.

pub mod bundle;
pub mod note;
pub mod paths;
pub mod tree;

pub use tlog_tiles::{Hash, EMPTY_HASH, HASH_SIZE};

/// Tile height: a tile holds `2^HEIGHT` hashes, as C2SP tlog-tiles fixes.
pub const HEIGHT: u8 = 8;
/// Hashes in a full tile, entries in a full bundle.
pub const WIDTH: u64 = 1 << HEIGHT;

/// An entry's leaf hash: SHA-256(0x00 || entry).
pub fn leaf_hash(entry: &[u8]) -> Hash {
    tlog_tiles::record_hash(entry)
}

/// A hash as the formats write it: standard base64.
pub fn hash_text(h: &Hash) -> String {
    h.to_string()
}

/// A hash from standard base64, or `None` when it is not 32 bytes.
pub fn parse_hash(text: &str) -> Option<Hash> {
    Hash::parse_hash(text.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_hash_as_rfc_6962_says() {
        // SHA-256 of the single byte 0x00: the leaf hash of an empty entry.
        assert_eq!(
            hash_text(&leaf_hash(b"")),
            "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0="
        );
        assert_eq!(
            hash_text(&EMPTY_HASH),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
        assert_eq!(
            parse_hash("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="),
            Some(EMPTY_HASH)
        );
        assert_eq!(parse_hash("AAAA"), None);
    }
}
