//! Keys, MACs and digests shared by the web layer and the alerts: one keyed hash with a
//! purpose, one constant-time compare, one hex codec. Nothing here does IO but
//! [`stored_key`] and [`DayKeys`], which keep keys in the settings table.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};
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

/// Reporters' keys, one per day (UTC), the same for every instance sharing the database.
/// A stored report names its reporter by a keyed hash; once the day's key is deleted (two
/// days on), no stored hash can be traced back to an address, even by trying every IPv4
/// address, while hashes of one day still tell its reporters apart.
pub struct DayKeys {
    store: DynStore,
    current: Mutex<Option<(NaiveDate, Arc<Vec<u8>>)>>,
}

/// The settings key prefix of the day keys; the day follows in `YYYY-MM-DD`.
const DAY_KEY: &str = "reporter_day:";

impl DayKeys {
    pub fn new(store: DynStore) -> DayKeys {
        DayKeys {
            store,
            current: Mutex::new(None),
        }
    }

    /// The key of `now`'s day. The first time an instance needs a day's key, keys of the
    /// days before yesterday are deleted.
    pub async fn key(&self, now: DateTime<Utc>) -> StoreResult<Arc<Vec<u8>>> {
        let day = now.date_naive();
        if let Ok(held) = self.current.lock() {
            if let Some((_, key)) = held.as_ref().filter(|(d, _)| *d == day) {
                return Ok(key.clone());
            }
        }
        let key = Arc::new(stored_key(&self.store, &format!("{DAY_KEY}{day}")).await?);
        let keep_from = day - chrono::Duration::days(1);
        self.store
            .forget_settings(DAY_KEY, &format!("{DAY_KEY}{keep_from}"))
            .await?;
        if let Ok(mut held) = self.current.lock() {
            *held = Some((day, key.clone()));
        }
        Ok(key)
    }
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
