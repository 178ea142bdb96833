//! The log as static files anyone can mirror (C2SP tlog-tiles): `/log/checkpoint`,
//! `/log/key`, `/log/tile/<L>/<N>[.p/<W>]` and `/log/tile/entries/<N>[.p/<W>]`. Full tiles
//! never change and are cached for a year; the checkpoint for a few seconds. Tiles are
//! stored in the transaction that signs the checkpoint covering them, so whatever is stored
//! is signed, whichever instance is asked.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use super::error::AppError;
use super::AppState;
use crate::i18n::Msg;
use crate::tlog::bundle;
use crate::tlog::paths::TilePath;
use crate::tlog::HASH_SIZE;

const TEXT: &str = "text/plain; charset=utf-8";
const BINARY: &str = "application/octet-stream";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

fn answer(body: impl Into<Bytes>, content_type: &'static str, cache: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_str(&cache)
                    .unwrap_or_else(|_| HeaderValue::from_static("no-cache")),
            ),
        ],
        body.into(),
    )
        .into_response()
}

/// `GET /log/checkpoint`: the latest signed checkpoint, as a signed note.
pub async fn checkpoint(State(state): State<AppState>) -> Result<Response, AppError> {
    let c = state
        .log
        .checkpoint()
        .ok_or_else(|| AppError::NotFound(Msg::new("err-log-no-checkpoint")))?;
    let every = state.config.log.checkpoint_every.as_secs().max(1);
    Ok(answer(c.note, TEXT, format!("public, max-age={every}")))
}

/// `GET /log/key`: the verifier key checkpoints are signed with, as Go's `note.NewVerifier`
/// reads it.
pub async fn key(State(state): State<AppState>) -> Response {
    answer(
        format!("{}\n", state.log.verifier_key()),
        TEXT,
        "public, max-age=86400".to_owned(),
    )
}

/// `GET /log/tile/{*path}`: a tile of hashes or a bundle of entries.
pub async fn tile(
    State(state): State<AppState>,
    Path(path): Path<String>,
) -> Result<Response, AppError> {
    let not_found = || AppError::NotFound(Msg::new("err-log-no-tile").arg("path", &path));
    let tile = TilePath::parse(&path).ok_or_else(not_found)?;
    let cache = if tile.is_full() {
        IMMUTABLE.to_owned()
    } else {
        "public, max-age=60".to_owned()
    };
    match tile {
        TilePath::Hashes { level, n, width } => {
            let tiles = state.store.log_tiles(&[(level, n)]).await?;
            let want = width as usize * HASH_SIZE;
            let data = tiles
                .get((level, n))
                .and_then(|d| d.get(..want))
                .ok_or_else(not_found)?;
            Ok(answer(data.to_vec(), BINARY, cache))
        }
        TilePath::Entries { n, width } => {
            // Entries are served once the tree holds them: as far as their tile reaches.
            let hashed = state.store.log_tiles(&[(0, n)]).await?;
            if hashed
                .get((0, n))
                .is_none_or(|d| d.len() < width as usize * HASH_SIZE)
            {
                return Err(not_found());
            }
            let first = n * crate::tlog::WIDTH;
            let entries = state.store.log_entries(first, width).await?;
            let whole = entries.len() == width as usize
                && entries
                    .iter()
                    .zip(first..)
                    .all(|(e, index)| e.index == index);
            if !whole {
                return Err(not_found());
            }
            let data =
                bundle::encode(entries.iter().map(|e| e.body.as_slice())).ok_or_else(not_found)?;
            Ok(answer(data, BINARY, cache))
        }
    }
}
