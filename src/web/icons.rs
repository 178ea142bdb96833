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
    encode(SIZE, SIZE, |x, y| {
        let (dx, dy) = (x as f32 + 0.5 - 16.0, y as f32 + 0.5 - 16.0);
        // Coverage of the circle's edge, for a smooth rim.
        let alpha = (14.5 - (dx * dx + dy * dy).sqrt()).clamp(0.0, 1.0);
        [r, g, b, (alpha * 255.0) as u8]
    })
}

/// The link-preview picture of a status, 1200 x 630: a disc in the status colour with its
/// sign (a tick, a cross, a bang, a pause for maintenance, a ring when unknown), the same
/// signs the pages show beside the words.
pub fn card(s: Status) -> Vec<u8> {
    const W: u32 = 1200;
    const H: u32 = 630;
    let [r, g, b] = rgb(s);
    let (cx, cy, radius) = (600.0f32, 315.0f32, 230.0f32);
    // Strokes of the sign, as segments in the disc's frame (units of the radius).
    let strokes: &[(Point, Point)] = match s {
        Status::Operational => &[((-0.45, 0.0), (-0.12, 0.35)), ((-0.12, 0.35), (0.5, -0.35))],
        Status::MajorOutage => &[((-0.4, -0.4), (0.4, 0.4)), ((-0.4, 0.4), (0.4, -0.4))],
        Status::PartialOutage | Status::Degraded => {
            &[((0.0, -0.5), (0.0, 0.15)), ((0.0, 0.42), (0.0, 0.44))]
        }
        Status::Maintenance => &[((-0.2, -0.4), (-0.2, 0.4)), ((0.2, -0.4), (0.2, 0.4))],
        Status::Unknown => &[],
    };
    encode(W, H, |x, y| {
        let (px, py) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
        let d = (px * px + py * py).sqrt();
        let disc = (radius - d).clamp(0.0, 1.0);
        let (ux, uy) = (px / radius, py / radius);
        let sign = if s == Status::Unknown {
            // A ring inside the disc.
            let ring = (0.12 - ((ux * ux + uy * uy).sqrt() - 0.5).abs()) * radius;
            ring.clamp(0.0, 1.0)
        } else {
            strokes
                .iter()
                .map(|&(a, b)| ((0.11 - segment_distance((ux, uy), a, b)) * radius).clamp(0.0, 1.0))
                .fold(0.0, f32::max)
        };
        let mix = |c: u8, over: u8, t: f32| (f32::from(c) * (1.0 - t) + f32::from(over) * t) as u8;
        let (br, bg, bb) = (mix(0xff, r, disc), mix(0xff, g, disc), mix(0xff, b, disc));
        let t = sign * disc;
        [mix(br, 0xff, t), mix(bg, 0xff, t), mix(bb, 0xff, t), 0xff]
    })
}

/// A point in the disc's frame.
type Point = (f32, f32);

/// Distance from `p` to the segment `a`-`b`.
fn segment_distance(p: Point, a: Point, b: Point) -> f32 {
    let (vx, vy) = (b.0 - a.0, b.1 - a.1);
    let len = vx * vx + vy * vy;
    let t = if len == 0.0 {
        0.0
    } else {
        (((p.0 - a.0) * vx + (p.1 - a.1) * vy) / len).clamp(0.0, 1.0)
    };
    let (dx, dy) = (p.0 - a.0 - t * vx, p.1 - a.1 - t * vy);
    (dx * dx + dy * dy).sqrt()
}

/// An RGBA PNG of `width` x `height` whose pixels `pixel` gives.
fn encode(width: u32, height: u32, pixel: impl Fn(u32, u32) -> [u8; 4]) -> Vec<u8> {
    let mut raw = Vec::with_capacity((height * (width * 4 + 1)) as usize);
    for y in 0..height {
        raw.push(0); // no filter
        for x in 0..width {
            raw.extend_from_slice(&pixel(x, y));
        }
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = z.write_all(&raw);
    let data = z.finish().unwrap_or_default();
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8 bits, RGBA
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &data);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// Each status's card, drawn once.
fn cached_card(s: Status) -> Vec<u8> {
    use std::sync::OnceLock;
    static CARDS: [OnceLock<Vec<u8>>; 6] = [const { OnceLock::new() }; 6];
    CARDS[usize::from(s.rank()).min(5)]
        .get_or_init(|| card(s))
        .clone()
}

/// `/og/banks/{slug}.png`: the preview picture of a bank's status now; `/og.png` of the
/// worst status.
pub async fn preview_bank(
    State(state): State<AppState>,
    axum::extract::Path(file): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Response {
    let status = file
        .strip_suffix(".png")
        .and_then(|slug| state.config.bank(slug))
        .map(|b| {
            state
                .live
                .snapshot()
                .bank(&b.slug)
                .map_or(Status::Unknown, |n| n.status)
        });
    match status {
        Some(s) => answer(&headers, s, "image/png", cached_card(s)),
        None => (StatusCode::NOT_FOUND, "no such bank").into_response(),
    }
}

pub async fn preview_all(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let s = worst(&state);
    answer(&headers, s, "image/png", cached_card(s))
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
        "User-agent: *\nAllow: /\nDisallow: /api/\nDisallow: /report\nDisallow: /desk\n",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cards_are_pngs_that_differ_by_status() {
        let cards: Vec<Vec<u8>> = [
            Status::Operational,
            Status::MajorOutage,
            Status::PartialOutage,
            Status::Maintenance,
            Status::Unknown,
        ]
        .into_iter()
        .map(card)
        .collect();
        for c in &cards {
            assert!(c.starts_with(b"\x89PNG\r\n\x1a\n"));
            assert!(c.len() < 200_000, "{} bytes", c.len());
        }
        for (i, a) in cards.iter().enumerate() {
            for b in &cards[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }
}
