//! The favicon: a dot in the colour of the worst status now, as SVG and as a 32 px PNG
//! for browsers and apps that take no SVG. Both change when the status does.

use std::io::Write as _;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::domain::Status;

/// The status colours, as the badges use them.
pub fn rgb(s: Status) -> [u8; 3] {
    match s {
        Status::MajorOutage => [0xcf, 0x22, 0x2e],
        Status::PartialOutage => [0xbc, 0x4c, 0x00],
        Status::Degraded => [0x9a, 0x67, 0x00],
        Status::Maintenance => [0x09, 0x69, 0xda],
        Status::Operational => [0x1a, 0x7f, 0x37],
        Status::Unknown => [0x57, 0x60, 0x6a],
    }
}

fn worst(state: &AppState) -> Status {
    Status::worst(state.live.snapshot().banks.iter().map(|b| b.status))
}

pub fn svg(s: Status) -> String {
    let [r, g, b] = rgb(s);
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 32 32\"><circle cx=\"16\" cy=\"16\" r=\"14\" fill=\"#{r:02x}{g:02x}{b:02x}\"/></svg>"
    )
}

/// A 32 x 32 RGBA PNG of the same dot.
pub fn png(s: Status) -> Vec<u8> {
    const SIZE: u32 = 32;
    let [r, g, b] = rgb(s);
    let mut raw = Vec::with_capacity((SIZE * (SIZE * 4 + 1)) as usize);
    for y in 0..SIZE {
        raw.push(0); // no filter
        for x in 0..SIZE {
            let (dx, dy) = (x as f32 + 0.5 - 16.0, y as f32 + 0.5 - 16.0);
            // Coverage of the circle's edge, for a smooth rim.
            let alpha = (14.5 - (dx * dx + dy * dy).sqrt()).clamp(0.0, 1.0);
            raw.extend_from_slice(&[r, g, b, (alpha * 255.0) as u8]);
        }
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = z.write_all(&raw);
    let data = z.finish().unwrap_or_default();
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&SIZE.to_be_bytes());
    ihdr.extend_from_slice(&SIZE.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8 bits, RGBA
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &data);
    chunk(&mut out, b"IEND", &[]);
    out
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(0).to_be_bytes());
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
}

/// Cached for a minute and by status, so a tab's icon follows the status.
fn answer(headers: &HeaderMap, s: Status, mime: &'static str, body: Vec<u8>) -> Response {
    let etag = format!("\"{}\"", s.as_str());
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag)
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let mut res = (
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "public, max-age=60"),
        ],
        body,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res
}

pub async fn favicon_svg(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let s = worst(&state);
    answer(&headers, s, "image/svg+xml", svg(s).into_bytes())
}

pub async fn favicon_png(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let s = worst(&state);
    answer(&headers, s, "image/png", png(s))
}

/// Everything public may be indexed but the write paths.
pub async fn robots() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        "User-agent: *\nAllow: /\nDisallow: /api/\nDisallow: /report\n",
    )
        .into_response()
}
