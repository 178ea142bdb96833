//! Keys, MACs and digests shared by the web layer and the alerts: one keyed hash with a
//! purpose, one constant-time compare, one hex codec. Nothing here does IO but
//! [`stored_key`], which keeps a key in the settings table.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::store::{DynStore, StoreResult};

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    out
}

/// The bytes of a hex string; `None` for an odd length or a character that is not hex.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    // `from_str_radix` would take a sign ("+f"), which is not hex.
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len() / 2)
        .map(|i| u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// HMAC-SHA256 of `data` under `key`, bound to a `purpose` so a tag made for one use (a
/// form token) can never pass for another (a reporter id).
pub fn mac(key: &[u8], purpose: &str, data: &[u8]) -> [u8; 32] {
    let mut m = Hmac::<Sha256>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    m.update(purpose.as_bytes());
    m.update(b":");
    m.update(data);
    m.finalize().into_bytes().into()
}

/// The first 16 bytes of [`mac`], in hex: short enough for a cookie or a URL.
pub fn mac_hex(key: &[u8], purpose: &str, data: &[u8]) -> String {
    hex(&mac(key, purpose, data)[..16])
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// Whether `a` and `b` are equal, in time that depends only on their lengths.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A 32-byte key kept in the settings table under `name`: made on first start, then the
/// same for every instance sharing the database.
pub async fn stored_key(store: &DynStore, name: &str) -> StoreResult<Vec<u8>> {
    let mut fresh = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut fresh);
    let stored = store.setting_or_insert(name, &hex(&fresh)).await?;
    Ok(unhex(&stored).unwrap_or_else(|| stored.into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        let bytes = [0u8, 1, 0xab, 0xff];
        assert_eq!(hex(&bytes), "0001abff");
        assert_eq!(unhex("0001abff").as_deref(), Some(&bytes[..]));
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("zz"), None);
        assert_eq!(unhex("+f"), None);
    }

    #[test]
    fn a_purpose_changes_the_tag() {
        assert_ne!(mac(b"k", "csrf", b"x"), mac(b"k", "reporter", b"x"));
        assert_eq!(mac_hex(b"k", "csrf", b"x").len(), 32);
    }

    #[test]
    fn same_compares_whole_values() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"ab"));
    }
}
