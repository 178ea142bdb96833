//! Pages as they leave, with what `banner.rs` writes into them: the same rendering with the
//! same notices is made once and its bytes handed out until the notices move (the freshness
//! line moves each second), so the page everyone reloads costs a lookup, not a copy and a
//! translation per request; and gzipped once, not for every browser that asks.
//!
//! A rendering is named by where its bytes live: each entry holds the rendering it was made
//! from, so that memory cannot be freed and reused by another while the entry stands.

use std::collections::HashMap;
use std::hash::Hash;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;

/// Past this many entries, those older than [`KEEP`] go (and all, if none is).
const MAX_KEPT: usize = 64;
/// Notices move each second: an entry is of no use for much longer.
const KEEP: Duration = Duration::from_secs(2);

struct Kept {
    /// The rendering the page was made from, held so its address names it alone.
    _source: Bytes,
    page: Arc<Made>,
    made: Instant,
}

/// A finished page, and its gzipped bytes once a reader asked for them.
pub struct Made {
    pub page: Bytes,
    gzipped: OnceLock<Option<Bytes>>,
}

impl Made {
    fn new(page: Bytes) -> Self {
        Made {
            page,
            gzipped: OnceLock::new(),
        }
    }

    /// The page gzipped at the level the compression layer uses, made on first use.
    pub fn gzipped(&self) -> Option<&Bytes> {
        self.gzipped
            .get_or_init(|| {
                let mut z =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                z.write_all(&self.page).ok()?;
                z.finish().ok().map(Bytes::from)
            })
            .as_ref()
    }
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
    ) -> Arc<Made> {
        let id = (source.as_ptr() as usize, source.len(), notices);
        if let Ok(kept) = self.kept.lock() {
            if let Some(k) = kept.get(&id) {
                return k.page.clone();
            }
        }
        let page = Arc::new(Made::new(make(&source, &id.2)));
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
        assert_eq!(finished.get_or_make(page.clone(), 1, make).page, "PAGE");
        assert_eq!(finished.get_or_make(page.clone(), 1, make).page, "PAGE");
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
        assert_eq!(finished.get_or_make(second, (), shout).page, "OTHER");
    }

    #[test]
    fn gzipped_once_and_back_to_the_same_bytes() {
        let finished = Finished::default();
        let page = Bytes::from("<p>page</p>".repeat(100));
        let made = finished.get_or_make(page.clone(), (), shout);
        let gz = made.gzipped().expect("gzipped").clone();
        assert!(gz.len() < made.page.len());
        assert_eq!(
            made.gzipped().map(|b| b.as_ptr()),
            Some(gz.as_ptr()),
            "made once"
        );
        let mut back = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut back)
            .expect("gzip");
        assert_eq!(back, made.page);
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
