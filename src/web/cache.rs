//! Rendered pages kept in memory: a page is rendered again only when what it shows has
//! changed (the live generation moved) or it has aged past its lifetime, and then once,
//! and at most every [`MIN_RENDER_GAP`]: while a page's inputs change many times a second
//! (a storm of reports), requests get its last rendering, and only a page never rendered
//! makes them wait. When the database cannot be read (a lost PostgreSQL connection), the
//! last rendering is served rather than an error.
//!
//! Feeds and calendars carry absolute links, so without `public_url` each `Host` asked for
//! is a variant with copies of its own. At most [`MAX_VARIANTS`] hosts are kept, and a
//! kept host gives its place only once it has gone unasked for [`VARIANT_IDLE`]: a client
//! naming a new host on every request has its answers rendered for it alone, and cannot
//! push everyone else's out.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::error::AppError;
use crate::throttle::Throttle;

/// Even when nothing changed, roll-up figures and last checks move: render at most this old.
pub const PAGE_TTL: Duration = Duration::from_secs(10);
/// A page is rendered at most this often, whatever the rate of change.
pub const MIN_RENDER_GAP: Duration = Duration::from_millis(250);
/// A render that has not finished in this long counts as a database that cannot be read:
/// the last rendering is served (a frozen server holds a query without an error).
pub const RENDER_DEADLINE: Duration = Duration::from_secs(10);
/// Past this many entries the cache starts afresh (incident pages are many, each small).
const MAX_ENTRIES: usize = 2048;

/// Hosts whose feeds and calendars are kept at once.
pub const MAX_VARIANTS: usize = 8;
/// A kept host unasked for this long makes room for a new one.
pub const VARIANT_IDLE: Duration = Duration::from_secs(60);

static STALE_LOG: Throttle = Throttle::new(Duration::from_secs(10));

struct Entry<T> {
    generation: u64,
    made: Instant,
    body: T,
}

/// Rendered answers by key: pages hold their bytes, feeds their bytes with validators.
pub struct PageCache<T = Bytes> {
    entries: Mutex<HashMap<String, Entry<T>>>,
    /// One render at a time per key.
    renders: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// A changed page is rendered again at most this often; zero renders every change.
    gap: Duration,
    /// Kept variants and when each was last asked for.
    variants: Mutex<HashMap<String, Instant>>,
}

/// Renders every change: feeds and calendars, whose readers poll, and which an operator
/// expects to carry an update the moment it is posted.
impl<T> Default for PageCache<T> {
    fn default() -> Self {
        PageCache {
            entries: Mutex::new(HashMap::new()),
            renders: Mutex::new(HashMap::new()),
            gap: Duration::ZERO,
            variants: Mutex::new(HashMap::new()),
        }
    }
}

impl<T> PageCache<T> {
    /// Renders a changed page at most every [`MIN_RENDER_GAP`]: the pages everyone reloads.
    pub fn coalescing() -> Self {
        PageCache {
            gap: MIN_RENDER_GAP,
            ..PageCache::default()
        }
    }
}

/// A rendered feed or calendar with what conditional GETs compare.
#[derive(Clone)]
pub struct Rendered {
    pub body: Bytes,
    /// A hash of the body: the same content keeps its tag across restarts.
    pub etag: String,
    /// The newest entry's time, if any.
    pub modified: Option<chrono::DateTime<chrono::Utc>>,
}

impl Rendered {
    pub fn new(body: String, modified: Option<chrono::DateTime<chrono::Utc>>) -> Self {
        let hash = body.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        Rendered {
            body: Bytes::from(body),
            etag: format!("\"{hash:016x}\""),
            modified,
        }
    }
}

/// What the cache holds for a key, against what a request needs.
enum Held<T> {
    Fresh(T),
    /// Rendered before the latest change, or past its lifetime; with when it was made.
    Stale(T, Instant),
    Missing,
}

/// Whether a page made at `made` is too recent to render again at `now`.
fn too_soon(made: Instant, now: Instant, gap: Duration) -> bool {
    now.saturating_duration_since(made) < gap
}

impl<T: Clone> PageCache<T> {
    fn held(&self, key: &str, generation: u64) -> Held<T> {
        let Ok(entries) = self.entries.lock() else {
            return Held::Missing;
        };
        match entries.get(key) {
            Some(e) if e.generation == generation && e.made.elapsed() < PAGE_TTL => {
                Held::Fresh(e.body.clone())
            }
            Some(e) => Held::Stale(e.body.clone(), e.made),
            None => Held::Missing,
        }
    }

    fn fresh(&self, key: &str, generation: u64) -> Option<T> {
        match self.held(key, generation) {
            Held::Fresh(body) => Some(body),
            _ => None,
        }
    }

    /// [`Self::get_or_render`] for the copy of `key` made for `variant` (the base URL its
    /// links are built on); a variant the cache has no room for is rendered and not kept.
    pub async fn get_or_render_for<F, Fut>(
        &self,
        variant: &str,
        key: &str,
        generation: u64,
        render: F,
    ) -> Result<T, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, AppError>>,
    {
        if self.admit(variant, Instant::now()) {
            self.get_or_render(format!("{variant}\u{0}{key}"), generation, render)
                .await
        } else {
            render().await
        }
    }

    /// Whether `variant` has a place at `now`, taking the place of one unasked for
    /// [`VARIANT_IDLE`] (whose copies go) when all are taken.
    fn admit(&self, variant: &str, now: Instant) -> bool {
        let Ok(mut variants) = self.variants.lock() else {
            return false;
        };
        if let Some(seen) = variants.get_mut(variant) {
            *seen = now;
            return true;
        }
        if variants.len() >= MAX_VARIANTS {
            let idle = variants
                .iter()
                .min_by_key(|(_, seen)| **seen)
                .filter(|(_, seen)| now.saturating_duration_since(**seen) >= VARIANT_IDLE)
                .map(|(v, _)| v.clone());
            let Some(idle) = idle else {
                return false;
            };
            variants.remove(&idle);
            let prefix = format!("{idle}\u{0}");
            if let Ok(mut entries) = self.entries.lock() {
                entries.retain(|k, _| !k.starts_with(&prefix));
            }
        }
        variants.insert(variant.to_owned(), now);
        true
    }

    /// The cached answer for `key`, or what `render` makes of it now.
    pub async fn get_or_render<F, Fut>(
        &self,
        key: String,
        generation: u64,
        render: F,
    ) -> Result<T, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, AppError>>,
    {
        let stale = match self.held(&key, generation) {
            Held::Fresh(body) => return Ok(body),
            Held::Stale(body, made) => {
                if too_soon(made, Instant::now(), self.gap) {
                    return Ok(body);
                }
                Some(body)
            }
            Held::Missing => None,
        };
        let lock = match self.renders.lock() {
            Ok(mut renders) => {
                if renders.len() >= MAX_ENTRIES {
                    renders.clear();
                }
                renders.entry(key.clone()).or_default().clone()
            }
            Err(_) => Arc::default(),
        };
        let _rendering = match stale.as_ref().filter(|_| !self.gap.is_zero()) {
            Some(body) => match lock.try_lock_owned() {
                Ok(guard) => guard,
                Err(_) => return Ok(body.clone()),
            },
            None => lock.lock_owned().await,
        };
        // Another request may have rendered it while this one waited.
        if let Some(body) = self.fresh(&key, generation) {
            return Ok(body);
        }
        let rendered = tokio::time::timeout(RENDER_DEADLINE, render())
            .await
            .unwrap_or_else(|_| {
                Err(AppError::Unavailable(format!(
                    "no answer from the database within {} s",
                    RENDER_DEADLINE.as_secs()
                )))
            });
        let body = match (rendered, stale) {
            (Ok(body), _) => body,
            (Err(e @ AppError::Unavailable(_)), Some(last)) => {
                if let Some(held_back) = STALE_LOG.admit(Instant::now()) {
                    tracing::warn!(error = %e, page = %key, earlier_not_logged = held_back, "serving the last rendering: the database cannot be read");
                }
                return Ok(last);
            }
            (Err(e), _) => return Err(e),
        };
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(
                key,
                Entry {
                    generation,
                    made: Instant::now(),
                    body: body.clone(),
                },
            );
        }
        Ok(body)
    }
}

impl Rendered {
    /// The answer to a GET: 304 with no body when the client's copy is current (by
    /// `If-None-Match`, else `If-Modified-Since`), the body otherwise.
    pub fn respond(
        &self,
        request: &HeaderMap,
        content_type: &'static str,
        max_age: u32,
    ) -> Response {
        let not_modified = match request
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
        {
            Some(tags) => tags.split(',').any(|t| {
                let t = t.trim();
                t == "*" || t.trim_start_matches("W/") == self.etag
            }),
            None => match (
                request
                    .get(header::IF_MODIFIED_SINCE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok()),
                self.modified,
            ) {
                (Some(since), Some(modified)) => modified.timestamp() <= since.timestamp(),
                _ => false,
            },
        };
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        if let Ok(v) = HeaderValue::from_str(&self.etag) {
            headers.insert(header::ETAG, v);
        }
        if let Some(m) = self.modified {
            if let Ok(v) = HeaderValue::from_str(&m.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
            {
                headers.insert(header::LAST_MODIFIED, v);
            }
        }
        if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={max_age}")) {
            headers.insert(header::CACHE_CONTROL, v);
        }
        if not_modified {
            (StatusCode::NOT_MODIFIED, headers).into_response()
        } else {
            (StatusCode::OK, headers, self.body.clone()).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    async fn get(cache: &PageCache<u64>, generation: u64, renders: &AtomicU64) -> u64 {
        cache
            .get_or_render("/".to_owned(), generation, || async {
                renders.fetch_add(1, Ordering::SeqCst);
                Ok(generation)
            })
            .await
            .expect("render")
    }

    #[tokio::test]
    async fn changes_faster_than_the_gap_are_served_from_the_last_rendering() {
        let cache = PageCache::<u64>::coalescing();
        let renders = AtomicU64::new(0);
        assert_eq!(get(&cache, 1, &renders).await, 1);
        // Many changes within the gap: the first rendering is served, none made again.
        for generation in 2..50 {
            assert_eq!(get(&cache, generation, &renders).await, 1);
        }
        assert_eq!(renders.load(Ordering::SeqCst), 1);
        tokio::time::sleep(MIN_RENDER_GAP).await;
        assert_eq!(get(&cache, 50, &renders).await, 50);
        assert_eq!(renders.load(Ordering::SeqCst), 2);
        assert_eq!(get(&cache, 50, &renders).await, 50);
        assert_eq!(renders.load(Ordering::SeqCst), 2);
        // Without coalescing, every change is rendered.
        let every = PageCache::<u64>::default();
        assert_eq!(get(&every, 1, &renders).await, 1);
        assert_eq!(get(&every, 2, &renders).await, 2);
    }

    #[tokio::test]
    async fn while_the_database_cannot_be_read_the_last_rendering_is_served() {
        let cache = PageCache::<u64>::coalescing();
        let renders = AtomicU64::new(0);
        assert_eq!(get(&cache, 1, &renders).await, 1);
        tokio::time::sleep(MIN_RENDER_GAP).await;
        let unavailable = || async { Err(AppError::Unavailable("connection lost".into())) };
        let served = cache.get_or_render("/".to_owned(), 2, unavailable).await;
        assert_eq!(served.ok(), Some(1));
        // A page never rendered has nothing to fall back on; other errors are not hidden.
        let missing = cache.get_or_render("/x".to_owned(), 2, unavailable).await;
        assert!(matches!(missing, Err(AppError::Unavailable(_))));
        let broken = cache
            .get_or_render("/".to_owned(), 3, || async {
                Err(AppError::Internal("template".into()))
            })
            .await;
        assert!(matches!(broken, Err(AppError::Internal(_))));
    }

    #[tokio::test]
    async fn hosts_past_the_cap_do_not_push_out_the_kept_ones() {
        let cache = PageCache::<u64>::default();
        let renders = AtomicU64::new(0);
        let get = |host: String| {
            let renders = &renders;
            let cache = &cache;
            async move {
                cache
                    .get_or_render_for(&host, "/feed.rss", 1, || async {
                        renders.fetch_add(1, Ordering::SeqCst);
                        Ok(1)
                    })
                    .await
                    .expect("render")
            }
        };
        get("http://status.example.ma".to_owned()).await;
        for i in 0..100 {
            get(format!("http://x{i}.example")).await;
        }
        assert_eq!(renders.load(Ordering::SeqCst), 101);
        // Every new host past the cap was rendered for itself; the first is still kept.
        get("http://status.example.ma".to_owned()).await;
        assert_eq!(renders.load(Ordering::SeqCst), 101);
        assert!(cache.entries.lock().expect("lock").len() <= MAX_VARIANTS);
        // Once a kept host has gone unasked for long enough, a new one takes its place.
        let later = Instant::now() + VARIANT_IDLE;
        assert!(cache.admit("http://new.example", later));
        assert!(cache.entries.lock().expect("lock").len() < MAX_VARIANTS);
    }

    #[test]
    fn too_soon_is_the_gap() {
        let t = Instant::now();
        assert!(too_soon(t, t + MIN_RENDER_GAP / 2, MIN_RENDER_GAP));
        assert!(!too_soon(t, t + MIN_RENDER_GAP, MIN_RENDER_GAP));
        assert!(!too_soon(t, t, Duration::ZERO));
    }
}
