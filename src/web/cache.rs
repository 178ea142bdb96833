//! Rendered pages kept in memory: a page is rendered again only when what it shows has
//! changed (the live generation moved) or it has aged past its lifetime, and then once:
//! requests arriving meanwhile wait for that render instead of rendering it again.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::error::AppError;

/// Even when nothing changed, roll-up figures and last checks move: render at most this old.
pub const PAGE_TTL: Duration = Duration::from_secs(10);
/// Past this many entries the cache starts afresh (incident pages are many, each small).
const MAX_ENTRIES: usize = 2048;

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
}

impl<T> Default for PageCache<T> {
    fn default() -> Self {
        PageCache {
            entries: Mutex::new(HashMap::new()),
            renders: Mutex::new(HashMap::new()),
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

impl<T: Clone> PageCache<T> {
    fn fresh(&self, key: &str, generation: u64) -> Option<T> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(key)
            .filter(|e| e.generation == generation && e.made.elapsed() < PAGE_TTL)
            .map(|e| e.body.clone())
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
        if let Some(body) = self.fresh(&key, generation) {
            return Ok(body);
        }
        let lock = match self.renders.lock() {
            Ok(mut renders) => {
                if renders.len() >= MAX_ENTRIES {
                    renders.clear();
                }
                renders.entry(key.clone()).or_default().clone()
            }
            Err(_) => Arc::default(),
        };
        let _rendering = lock.lock().await;
        // Another request may have rendered it while this one waited.
        if let Some(body) = self.fresh(&key, generation) {
            return Ok(body);
        }
        let body = render().await?;
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
