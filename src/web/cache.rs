//! Rendered pages kept in memory: a page is rendered again only when what it shows has
//! changed (the live generation moved) or it has aged past its lifetime.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Bytes;

use super::error::AppError;

/// Even when nothing changed, roll-up figures and last checks move: render at most this old.
pub const PAGE_TTL: Duration = Duration::from_secs(10);
/// Past this many entries the cache starts afresh (incident pages are many, each small).
const MAX_ENTRIES: usize = 2048;

struct Entry {
    generation: u64,
    made: Instant,
    body: Bytes,
}

#[derive(Default)]
pub struct PageCache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl PageCache {
    fn fresh(&self, key: &str, generation: u64) -> Option<Bytes> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(key)
            .filter(|e| e.generation == generation && e.made.elapsed() < PAGE_TTL)
            .map(|e| e.body.clone())
    }

    /// The cached body for `key`, or what `render` makes of it now.
    pub async fn get_or_render<F, Fut>(
        &self,
        key: String,
        generation: u64,
        render: F,
    ) -> Result<Bytes, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<String, AppError>>,
    {
        if let Some(body) = self.fresh(&key, generation) {
            return Ok(body);
        }
        let body = Bytes::from(render().await?);
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
