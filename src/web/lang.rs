//! Which language a request is answered in: `?lang=`, then the cookie set by it, then
//! `Accept-Language` with its q-values, then the configured default.

use axum::http::{header, HeaderMap};

use super::error::AppError;
use super::input::{parse_value, query_param};
use crate::domain::Lang;

pub const COOKIE: &str = "lang";

/// The language, and whether the answer must set the cookie (an explicit `?lang=`).
pub fn negotiate(
    query_lang: Option<&str>,
    headers: &HeaderMap,
    default: Lang,
) -> Result<(Lang, bool), AppError> {
    if let Some(q) = query_lang {
        let lang = parse_value::<Lang>("lang", q)?;
        return Ok((lang, true));
    }
    if let Some(lang) = cookie_lang(headers) {
        return Ok((lang, false));
    }
    if let Some(lang) = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(accept_language)
    {
        return Ok((lang, false));
    }
    Ok((default, false))
}

/// The language a request asked for; an unknown `?lang=` counts as none.
pub fn request_lang(default: Lang, query: Option<&str>, headers: &HeaderMap) -> Lang {
    let asked = query_param(query, "lang").filter(|v| v.parse::<Lang>().is_ok());
    negotiate(asked.as_deref(), headers, default).map_or(default, |(lang, _)| lang)
}

fn cookie_lang(headers: &HeaderMap) -> Option<Lang> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .and_then(|(_, v)| v.parse().ok())
}

/// The supported language with the highest q-value; ties keep the header's order.
fn accept_language(header: &str) -> Option<Lang> {
    let mut best: Option<(f32, Lang)> = None;
    for part in header.split(',').take(32) {
        let mut fields = part.split(';');
        let tag = fields.next().unwrap_or("").trim();
        let primary = tag.split('-').next().unwrap_or("").to_ascii_lowercase();
        let q = fields
            .filter_map(|f| f.trim().strip_prefix("q="))
            .find_map(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let Ok(lang) = primary.parse::<Lang>() else {
            continue;
        };
        if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, lang));
        }
    }
    best.map(|(_, l)| l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q_values_decide() {
        assert_eq!(accept_language("en;q=0.5, fr-MA;q=0.9, de"), Some(Lang::Fr));
        assert_eq!(accept_language("de, ar-MA"), Some(Lang::Ar));
        assert_eq!(accept_language("fr;q=0"), None);
        assert_eq!(accept_language("garbage;;;q=x"), None);
    }

    #[test]
    fn query_beats_cookie_beats_header() {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_LANGUAGE, "en".parse().expect("header"));
        h.insert(header::COOKIE, "a=b; lang=fr".parse().expect("header"));
        assert_eq!(
            negotiate(Some("ar"), &h, Lang::En).ok(),
            Some((Lang::Ar, true))
        );
        assert_eq!(negotiate(None, &h, Lang::En).ok(), Some((Lang::Fr, false)));
        assert!(negotiate(Some("xx"), &h, Lang::En).is_err());
    }
}
