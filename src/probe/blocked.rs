//! Checks refused by a bank's bot protection: a CDN or web application firewall that answers
//! the probe with a denial or a challenge while the bank's customers get through. Such an
//! answer says nothing about the bank, so it is its own failure class, `blocked`, and never
//! an outage. Pure.
//!
//! Each vendor is known by its headers and the shape of its pages:
//! - Akamai: `Server: AkamaiGHost` on a 403 or 429, or its "Access Denied ... Reference #"
//!   page;
//! - Cloudflare: `cf-mitigated: challenge` on any answer; or, with `cf-ray` or
//!   `Server: cloudflare`, a 403, 429 or 503 carrying its challenge or block page ("Just a
//!   moment...", "Attention Required!", "Sorry, you have been blocked"). Its error pages
//!   for an origin that is down (52x) carry `cf-ray` too: they stay failures of the bank;
//! - AWS WAF: an `x-amzn-waf-action` header (challenge or CAPTCHA) on any answer, another
//!   `x-amzn-waf-*` header on a 403, CloudFront's "Request blocked" page, or API Gateway's
//!   403 with `x-amzn-RequestId` and `ForbiddenException`;
//! - Imperva (Incapsula): `x-iinfo` or `X-CDN: Imperva` on a 403 or 429, or its "Incapsula
//!   incident" page, even when served with 200;
//! - F5 BIG-IP ASM: its "The requested URL was rejected ... support ID" page.
//!
//! A 403 with none of these is the bank's own server refusing: a `status` failure as ever.

use reqwest::header::HeaderMap;

use super::normalise::decode_entities;

/// Who refused the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vendor {
    Akamai,
    Cloudflare,
    Aws,
    Imperva,
    F5,
}

impl Vendor {
    pub fn name(self) -> &'static str {
        match self {
            Vendor::Akamai => "Akamai",
            Vendor::Cloudflare => "Cloudflare",
            Vendor::Aws => "AWS WAF",
            Vendor::Imperva => "Imperva",
            Vendor::F5 => "F5 BIG-IP",
        }
    }
}

/// A vendor's header on an answer: who, the header as seen, and whether the header alone
/// says the check was challenged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub vendor: Vendor,
    pub header: String,
    challenge: bool,
}

/// A check refused by a bank's protection, with what showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub vendor: Vendor,
    /// The header or the page's words that identify the vendor's refusal.
    pub evidence: String,
}

/// The protection vendor an answer's headers name, if any. Read before the body, so that
/// a refused answer is read for its page even when its status alone would have been enough.
pub fn signature(headers: &HeaderMap) -> Option<Signature> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let seen = |vendor, name: &str, value: &str, challenge| {
        Some(Signature {
            vendor,
            header: format!("{name}: {value}"),
            challenge,
        })
    };
    if let Some(v) = get("cf-mitigated") {
        return seen(
            Vendor::Cloudflare,
            "cf-mitigated",
            v,
            v.eq_ignore_ascii_case("challenge"),
        );
    }
    if let Some(v) = get("x-amzn-waf-action") {
        return seen(Vendor::Aws, "x-amzn-waf-action", v, true);
    }
    let server = get("server").unwrap_or_default();
    if server.to_ascii_lowercase().contains("akamaighost") {
        return seen(Vendor::Akamai, "Server", server, false);
    }
    if let Some(v) = get("cf-ray") {
        return seen(Vendor::Cloudflare, "cf-ray", v, false);
    }
    if server.eq_ignore_ascii_case("cloudflare") {
        return seen(Vendor::Cloudflare, "Server", server, false);
    }
    if let Some(v) = get("x-iinfo") {
        return seen(Vendor::Imperva, "x-iinfo", v, false);
    }
    if let Some(v) = get("x-cdn").filter(|v| {
        let v = v.to_ascii_lowercase();
        v.contains("imperva") || v.contains("incapsula")
    }) {
        return seen(Vendor::Imperva, "X-CDN", v, false);
    }
    if let Some((name, v)) = headers
        .iter()
        .find(|(n, _)| n.as_str().starts_with("x-amzn-waf-"))
    {
        return seen(Vendor::Aws, name.as_str(), v.to_str().unwrap_or(""), false);
    }
    if let Some(v) = get("x-amzn-requestid") {
        let forbidden =
            get("x-amzn-errortype").is_some_and(|t| t.starts_with("ForbiddenException"));
        if forbidden {
            return seen(Vendor::Aws, "x-amzn-ErrorType", "ForbiddenException", false);
        }
        return seen(Vendor::Aws, "x-amzn-RequestId", v, false);
    }
    if let Some(v) = get("x-amz-cf-id") {
        return seen(Vendor::Aws, "x-amz-cf-id", v, false);
    }
    None
}

/// Page shapes of each vendor's denial and challenge pages, in lower case, entities
/// decoded; the first element of each pair must be there with any one of the second.
const SHAPES: &[(Vendor, &str, &[&str])] = &[
    (Vendor::Akamai, "access denied", &["reference #"]),
    (
        Vendor::Cloudflare,
        "",
        &[
            "attention required! | cloudflare",
            "just a moment...",
            "cf_chl_",
            "challenges.cloudflare.com",
            "sorry, you have been blocked",
            "enable javascript and cookies to continue",
        ],
    ),
    (Vendor::Aws, "request blocked", &["cloudfront"]),
    (Vendor::Aws, "{\"message\":\"forbidden\"}", &[""]),
    (
        Vendor::Imperva,
        "",
        &[
            "incapsula incident id",
            "_incapsula_resource",
            "request unsuccessful. incapsula",
        ],
    ),
    (
        Vendor::F5,
        "the requested url was rejected",
        &["support id"],
    ),
];

/// The largest page read for a vendor's refusal when no header names one, in bytes.
const MAX_REFUSAL_PAGE: usize = 16 * 1024;

/// Vendors whose page alone, with no header, is enough: their pages are theirs alone.
const PAGE_ALONE: [Vendor; 3] = [Vendor::Akamai, Vendor::Imperva, Vendor::F5];

/// The words of `body` that show a vendor's refusal page, if any.
fn shape(body: &str) -> Option<(Vendor, &'static str)> {
    // A refusal page is small; its words come early.
    let head = &body[..body.floor_char_boundary(16 * 1024)];
    let lower = decode_entities(head).to_lowercase();
    SHAPES.iter().find_map(|(vendor, first, any)| {
        (lower.contains(first))
            .then(|| any.iter().find(|w| lower.contains(**w)))
            .flatten()
            .map(|w| (*vendor, if w.is_empty() { *first } else { *w }))
    })
}

/// Whether `vendor`'s page can come with `status`: Imperva and F5 serve theirs with any
/// status (often 200), Cloudflare its challenge with 503 too, the others with 403 or 429.
fn status_fits(vendor: Vendor, status: u16) -> bool {
    match vendor {
        Vendor::Imperva | Vendor::F5 => true,
        Vendor::Cloudflare => matches!(status, 403 | 429 | 503),
        Vendor::Akamai | Vendor::Aws => matches!(status, 403 | 429),
    }
}

/// Whether an answer of `status`, with the vendor's header `sig` (from [`signature`]) and
/// `body`, is a refusal by the bank's protection rather than the bank's own answer.
pub fn refusal(status: u16, sig: Option<&Signature>, body: &str) -> Option<Refusal> {
    if let Some(s) = sig.filter(|s| s.challenge) {
        return Some(Refusal {
            vendor: s.vendor,
            evidence: s.header.clone(),
        });
    }
    // Refusal pages are small: a large answer with no vendor's header is the bank's page.
    // An ordinary answer is only read for the pages served with any status, by their
    // vendors' own words as they write them, before anything is lowered or decoded.
    if sig.is_none()
        && (body.len() > MAX_REFUSAL_PAGE
            || !(matches!(status, 403 | 429)
                || body.contains("Incapsula")
                || body.contains("requested URL was rejected")))
    {
        return None;
    }
    let page = shape(body);
    if let (Some(s), Some((vendor, words))) = (sig, page) {
        if vendor == s.vendor && status_fits(vendor, status) {
            return Some(Refusal {
                vendor,
                evidence: format!("{}; \"{words}\"", s.header),
            });
        }
    }
    // A 403 or 429 from Akamai's or Imperva's edge, or with an AWS WAF header, is theirs
    // whatever the page. Cloudflare's and API Gateway's headers are on the bank's own
    // answers too, so they need the page.
    if let Some(s) = sig.filter(|_| matches!(status, 403 | 429)) {
        let edge = match s.vendor {
            Vendor::Akamai | Vendor::Imperva => true,
            Vendor::Aws => {
                s.header.starts_with("x-amzn-waf-") || s.header.contains("ForbiddenException")
            }
            Vendor::Cloudflare | Vendor::F5 => false,
        };
        if edge {
            return Some(Refusal {
                vendor: s.vendor,
                evidence: s.header.clone(),
            });
        }
    }
    match page {
        Some((vendor, words)) if PAGE_ALONE.contains(&vendor) && status_fits(vendor, status) => {
            Some(Refusal {
                vendor,
                evidence: format!("\"{words}\""),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::{HeaderName, HeaderValue};

    use super::*;

    fn headers(list: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in list {
            h.insert(
                HeaderName::from_bytes(k.as_bytes()).expect("name"),
                HeaderValue::from_str(v).expect("value"),
            );
        }
        h
    }

    fn judge(status: u16, list: &[(&str, &str)], body: &str) -> Option<Vendor> {
        let h = headers(list);
        refusal(status, signature(&h).as_ref(), body).map(|r| r.vendor)
    }

    const AKAMAI: &str = "<HTML><HEAD>\n<TITLE>Access Denied</TITLE>\n</HEAD><BODY>\n<H1>Access Denied</H1>\n \nYou don't have permission to access \"http&#58;&#47;&#47;www&#46;bank&#46;example&#47;\" on this server.<P>\nReference&#32;&#35;18&#46;6f64d517&#46;1770000000&#46;2a1b3c4d\n</BODY>\n</HTML>";
    const CLOUDFLARE: &str = "<!DOCTYPE html><html lang=\"en-US\"><head><title>Just a moment...</title></head><body><noscript>Enable JavaScript and cookies to continue</noscript><script>window._cf_chl_opt={cvId: '3'};</script></body></html>";
    const CLOUDFLARE_BLOCK: &str = "<title>Attention Required! | Cloudflare</title><h1>Sorry, you have been blocked</h1><p>Cloudflare Ray ID: 8c1f2e3d4a5b6c7d</p>";
    const CLOUDFLARE_ORIGIN_DOWN: &str = "<title>bank.example | 521: Web server is down</title><p>Cloudflare Ray ID: 8c1f2e3d4a5b6c7d</p>";
    const IMPERVA: &str = "<html><head><META NAME=\"robots\" CONTENT=\"noindex,nofollow\"><script src=\"/_Incapsula_Resource?SWJIYLWA=5074a744e2e3d891814e9a2dace20bd4\"></script></head><body>Request unsuccessful. Incapsula incident ID: 1234000560078901-23456789012345678</body></html>";
    const F5: &str = "<html><head><title>Request Rejected</title></head><body>The requested URL was rejected. Please consult with your administrator.<br><br>Your support ID is: 1234567890123456789</body></html>";

    #[test]
    fn each_vendor_is_known_by_its_headers_and_pages() {
        let akamai = [("server", "AkamaiGHost")];
        assert_eq!(judge(403, &akamai, AKAMAI), Some(Vendor::Akamai));
        assert_eq!(judge(403, &akamai, ""), Some(Vendor::Akamai));
        assert_eq!(
            judge(403, &[], AKAMAI),
            Some(Vendor::Akamai),
            "its page alone"
        );
        let cf = [("cf-ray", "8c1f2e3d4a5b6c7d-CDG"), ("server", "cloudflare")];
        assert_eq!(judge(403, &cf, CLOUDFLARE), Some(Vendor::Cloudflare));
        assert_eq!(judge(503, &cf, CLOUDFLARE), Some(Vendor::Cloudflare));
        assert_eq!(judge(403, &cf, CLOUDFLARE_BLOCK), Some(Vendor::Cloudflare));
        assert_eq!(
            judge(403, &[("cf-mitigated", "challenge")], ""),
            Some(Vendor::Cloudflare)
        );
        assert_eq!(
            judge(202, &[("x-amzn-waf-action", "challenge")], ""),
            Some(Vendor::Aws)
        );
        assert_eq!(
            judge(
                403,
                &[("x-amzn-waf-block-reason", "bot")],
                "<h1>403 Forbidden</h1>"
            ),
            Some(Vendor::Aws)
        );
        assert_eq!(
            judge(
                403,
                &[
                    ("x-amzn-requestid", "6e9f..."),
                    ("x-amzn-errortype", "ForbiddenException")
                ],
                "{\"message\":\"Forbidden\"}"
            ),
            Some(Vendor::Aws)
        );
        let imperva = [(
            "x-iinfo",
            "5-12345678-0 0NNN RT(1770000000000 0) q(0 -1 -1 -1) r(0 -1)",
        )];
        assert_eq!(
            judge(200, &imperva, IMPERVA),
            Some(Vendor::Imperva),
            "even with 200"
        );
        assert_eq!(judge(403, &imperva, ""), Some(Vendor::Imperva));
        assert_eq!(
            judge(403, &[("x-cdn", "Imperva")], ""),
            Some(Vendor::Imperva)
        );
        assert_eq!(judge(200, &[], F5), Some(Vendor::F5));
    }

    #[test]
    fn the_banks_own_refusals_and_outages_stay_the_banks() {
        // A plain 403 from the bank's server.
        assert_eq!(
            judge(403, &[("server", "nginx")], "<h1>403 Forbidden</h1>"),
            None
        );
        // The origin behind Cloudflare is down: the bank fails.
        let cf = [("cf-ray", "8c1f2e3d4a5b6c7d-CDG")];
        assert_eq!(judge(521, &cf, CLOUDFLARE_ORIGIN_DOWN), None);
        // The bank's own 403 passed through Cloudflare or API Gateway, without their pages.
        assert_eq!(judge(403, &cf, "<h1>Accès refusé</h1>"), None);
        assert_eq!(
            judge(
                403,
                &[("x-amzn-requestid", "6e9f...")],
                "{\"message\":\"Missing Authentication Token\"}"
            ),
            None
        );
        // Akamai serving the bank's 503 is the bank's 503; a 200 through it is fine.
        assert_eq!(
            judge(503, &[("server", "AkamaiGHost")], "<h1>Indisponible</h1>"),
            None
        );
        assert_eq!(
            judge(200, &[("server", "AkamaiGHost")], "<h1>Bienvenue</h1>"),
            None
        );
        assert_eq!(judge(200, &[("cf-ray", "1")], CLOUDFLARE_BLOCK), None);
    }

    #[test]
    fn the_evidence_names_what_was_seen() {
        let h = headers(&[("server", "AkamaiGHost")]);
        let r = refusal(403, signature(&h).as_ref(), AKAMAI).expect("refused");
        assert_eq!(r.evidence, "Server: AkamaiGHost; \"reference #\"");
        let r = refusal(429, None, IMPERVA).expect("refused");
        assert_eq!(r.evidence, "\"incapsula incident id\"");
    }
}
