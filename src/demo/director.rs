//! Plays the operator and the customers of the demo through the service's own HTTP API:
//! Crédit du Maroc's announced window each cycle, a surge of reports during the BMCE
//! failure, and one phishing advisory.

use std::net::SocketAddr;
use std::time::Duration;

use chrono::SecondsFormat;
use serde_json::{json, Value};
use tokio::time::Instant;

use super::banks::{phase, BMCE_REPORTS, CDM_WINDOW, CYCLE};
use crate::clock::{Clock, SystemClock};

struct Api {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn post(&self, path: &str, body: Value, forwarded_for: Option<&str>) {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .bearer_auth(&self.token)
            .body(body.to_string());
        if let Some(ip) = forwarded_for {
            req = req.header("x-forwarded-for", ip);
        }
        match req.send().await {
            Ok(r) if r.status().is_success() => {}
            Ok(r) => {
                tracing::warn!(path, status = %r.status(), "demo: the service refused a request")
            }
            Err(e) => tracing::warn!(path, error = %e, "demo: request failed"),
        }
    }
}

fn at(offset: Duration) -> String {
    let t = SystemClock.now() + chrono::Duration::from_std(offset).unwrap_or_default();
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Customers reporting the BMCE failure each cycle.
pub const REPORTERS: u32 = 24;

/// The `n`th customer of a cycle: an address of the documentation prefix in a /64 of its
/// own (a reporter is known by its /64) and new every cycle, since a reporter counts once
/// per bank and channel per 10 minutes and a cycle is shorter; and the channel reported.
pub fn reporter(cycle: u64, n: u32) -> (String, &'static str) {
    let channel = ["atm", "transfers", "web"][n as usize % 3];
    (format!("2001:db8:{:x}:{n:x}::1", cycle % 0x1_0000), channel)
}

/// Runs for ever; the caller aborts it when the demo stops.
pub async fn run(listen: SocketAddr, token: String, started: Instant) {
    let api = Api {
        client: reqwest::Client::new(),
        base: format!("http://{listen}"),
        token,
    };
    api.post(
        "/api/v1/incidents",
        json!({
            "kind": "advisory",
            "banks": ["bmce", "attijariwafa", "bcp", "cih"],
            "title": {
                "ar": "روابط احتيالية ومكالمات مزيفة تنتحل صفة البنوك",
                "fr": "Liens frauduleux et faux appels au nom des banques",
                "en": "Phishing links and fake calls impersonate banks"
            },
            "message": {
                "ar": "حذر بنك المغرب من روابط خبيثة ومكالمات تنتحل صفة البنوك. لا تعط رمزك السري لأحد.",
                "fr": "Bank Al-Maghrib met en garde contre des liens malveillants et des appels qui usurpent l'identité des banques. Ne donnez jamais votre code.",
                "en": "Bank Al-Maghrib warns of malicious links and calls impersonating banks. Never give your code to anyone."
            }
        }),
        None,
    )
    .await;
    let mut cycle_seen = None;
    let mut reported = 0u32;
    loop {
        let t = phase(started);
        let cycle = started.elapsed().as_secs() / CYCLE.as_secs();
        if cycle_seen != Some(cycle) {
            cycle_seen = Some(cycle);
            reported = 0;
            api.post(
                "/api/v1/maintenance",
                json!({
                    "bank": "cdm",
                    "channels": ["mobile", "web"],
                    "starts": at(CDM_WINDOW.start.saturating_sub(t)),
                    "ends": at(CDM_WINDOW.end.saturating_sub(t)),
                    "title": {
                        "ar": "توقف تطبيق myCDM والخدمات عبر الإنترنت (13 إلى 15 فبراير، مختصرة)",
                        "fr": "Arrêt de myCDM et des services web (13 au 15 février, en accéléré)",
                        "en": "myCDM app and web banking stop (13 to 15 February, compressed)"
                    },
                    "source": "https://www.creditdumaroc.ma"
                }),
                None,
            )
            .await;
        }
        if BMCE_REPORTS.contains(&t) && reported < REPORTERS {
            let (ip, channel) = reporter(cycle, reported);
            api.post(
                "/api/v1/reports",
                json!({ "bank": "bmce", "channel": channel }),
                Some(&ip),
            )
            .await;
            reported += 1;
        }
        tokio::time::sleep(Duration::from_millis(1000)).await;
    }
}
