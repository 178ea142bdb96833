//! Pages as they leave, with what `banner.rs` writes into them: the same rendering with the
//! same notices is made once and its bytes handed out until the notices move (the freshness
//! line moves each second), so the page everyone reloads costs a lookup, not a copy and a
//! translation per request.
//!
//! A rendering is named by where its bytes live: each entry holds the rendering it was made
//! from, so that memory cannot be freed and reused by another while the entry stands.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Bytes;

/// Past this many entries, those older than [`KEEP`] go (and all, if none is).
const MAX_KEPT: usize = 64;
/// Notices move each second: an entry is of no use for much longer.
const KEEP: Duration = Duration::from_secs(2);

struct Kept {
    /// The rendering the page was made from, held so its address names it alone.
    _source: Bytes,
    page: Bytes,
    made: Instant,
}

/// Finished pages by the rendering they were made from and `K`, what was written in.
pub struct Finished<K> {
    /// Hashed with foldhash: the page everyone reloads looks its key up on each request.
    kept: Mutex<HashMap<(usize, usize, K), Kept, foldhash::fast::RandomState>>,
}

impl<K> Default for Finished<K> {
    fn default() -> Self {
        Finished {
            kept: Mutex::new(HashMap::default()),
        }
    }
}

impl<K: Hash + Eq> Finished<K> {
    /// The page made from `source` with `notices`, kept from an earlier request or made by
    /// `make` now.
    pub fn get_or_make(
        &self,
        source: Bytes,
        notices: K,
        make: impl FnOnce(&Bytes, &K) -> Bytes,
    ) -> Bytes {
        let id = (source.as_ptr() as usize, source.len(), notices);
        if let Ok(kept) = self.kept.lock() {
            if let Some(k) = kept.get(&id) {
                return k.page.clone();
            }
        }
        let page = make(&source, &id.2);
        if let Ok(mut kept) = self.kept.lock() {
            let now = Instant::now();
            if kept.len() >= MAX_KEPT {
                kept.retain(|_, k| now.saturating_duration_since(k.made) < KEEP);
                if kept.len() >= MAX_KEPT {
                    kept.clear();
                }
            }
            kept.insert(
                id,
                Kept {
                    _source: source,
                    page: page.clone(),
                    made: now,
                },
            );
        }
        page
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.kept.lock().map_or(0, |k| k.len())
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    fn shout<K>(b: &Bytes, _: &K) -> Bytes {
        Bytes::from(b.to_ascii_uppercase())
    }

    #[test]
    fn the_same_rendering_with_the_same_notices_is_made_once() {
        let finished = Finished::default();
        let made = Cell::new(0);
        let make = |b: &Bytes, _: &i32| {
            made.set(made.get() + 1);
            shout(b, &0)
        };
        let page = Bytes::from(b"page".to_vec());
        assert_eq!(finished.get_or_make(page.clone(), 1, make), "PAGE");
        assert_eq!(finished.get_or_make(page.clone(), 1, make), "PAGE");
        assert_eq!(made.get(), 1);
        // New notices, or another rendering with the very same bytes, are made again.
        finished.get_or_make(page.clone(), 2, make);
        finished.get_or_make(Bytes::from(b"page".to_vec()), 1, make);
        assert_eq!(made.get(), 3);
    }

    #[test]
    fn a_rendering_let_go_elsewhere_stays_held_by_its_entry() {
        let finished = Finished::default();
        let first = Bytes::from(b"first".to_vec());
        let at = first.as_ptr();
        finished.get_or_make(first, (), shout);
        // The entry holds the first rendering: no new one can be given its address.
        let second = Bytes::from(b"other".to_vec());
        assert_ne!(second.as_ptr(), at);
        assert_eq!(finished.get_or_make(second, (), shout), "OTHER");
    }

    #[test]
    fn entries_are_bounded() {
        let finished = Finished::default();
        let page = Bytes::from(b"p".to_vec());
        for n in 0..(MAX_KEPT * 3) {
            finished.get_or_make(page.clone(), n, shout);
            assert!(finished.len() <= MAX_KEPT);
        }
    }
}
