//! Plays the operator and the customers of the demo through the service's own HTTP API:
//! Crédit du Maroc's announced window each cycle with its announcement as a statement, a
//! surge of reports during the BMCE failure (what fails and where, a few saying it works for
//! them) beside a forged burst from one network that opens nothing, the bank's late and vague
//! word then a promise it misses by seconds, and one phishing advisory.

use std::net::SocketAddr;
use std::time::Duration;

use chrono::SecondsFormat;
use serde_json::{json, Value};
use tokio::time::Instant;

use super::banks::{phase, BMCE_FAILS, BMCE_PROMISE, BMCE_REPORTS, BMCE_VAGUE, CDM_WINDOW, CYCLE};
use crate::clock::{Clock, SystemClock};

struct Api {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    /// POSTs `body`; the service's answer when it took it.
    async fn post(&self, path: &str, body: Value, forwarded_for: Option<&str>) -> Option<Value> {
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
            Ok(r) if r.status().is_success() => {
                serde_json::from_str(&r.text().await.unwrap_or_default()).ok()
            }
            Ok(r) => {
                tracing::warn!(path, status = %r.status(), "demo: the service refused a request");
                None
            }
            Err(e) => {
                tracing::warn!(path, error = %e, "demo: request failed");
                None
            }
        }
    }
}

fn at(offset: Duration) -> String {
    let t = SystemClock.now() + chrono::Duration::from_std(offset).unwrap_or_default();
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Customers reporting the BMCE failure each cycle.
pub const REPORTERS: u32 = 24;
/// Forged reports each cycle, all from one home network.
pub const FORGED: u32 = 12;

/// One simulated customer's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoReport {
    pub ip: String,
    pub channel: &'static str,
    pub symptom: Option<&'static str>,
    pub city: Option<&'static str>,
    /// Says it works for them.
    pub works: bool,
}

impl DemoReport {
    fn body(&self) -> Value {
        let mut body = json!({ "bank": "bmce", "channel": self.channel });
        if let Some(s) = self.symptom {
            body["symptom"] = json!(s);
        }
        if let Some(c) = self.city {
            body["city"] = json!(c);
        }
        if self.works {
            body["works"] = json!(true);
        }
        body
    }
}

/// The `n`th customer of a cycle: an address of the documentation prefix in a /48 of its
/// own (a network of its own) and new every cycle, since a reporter counts once per bank
/// and channel per 10 minutes and a cycle is shorter; what they report, and where. Every
/// eighth says the channel works for them.
pub fn reporter(cycle: u64, n: u32) -> DemoReport {
    const CITIES: [&str; 5] = ["casablanca", "rabat", "fes", "casablanca", "marrakech"];
    let channel = ["atm", "transfers", "web"][n as usize % 3];
    let works = n % 8 == 7;
    let symptom = match channel {
        "atm" if n.is_multiple_of(4) => "card_retained",
        "atm" => "no_cash",
        "transfers" => "not_received",
        _ => "cannot_log_in",
    };
    let symptom = (!works).then_some(symptom);
    DemoReport {
        ip: format!(
            "2001:db8:{:x}::1",
            (cycle * u64::from(REPORTERS) + u64::from(n)) % 0x1_0000
        ),
        channel,
        symptom,
        city: Some(CITIES[n as usize % CITIES.len()]),
        works,
    }
}

/// The `n`th forged report of a cycle: many /64s of one home /48, all on the cards of the
/// bank, which nothing checks. Weighed as one network, it opens nothing.
pub fn forged(cycle: u64, n: u32) -> DemoReport {
    DemoReport {
        ip: format!(
            "2001:db8:ffff:{:x}::1",
            (cycle * 64 + u64::from(n)) % 0x1_0000
        ),
        channel: "cards",
        symptom: Some("refused_in_store"),
        city: Some("tangier"),
        works: false,
    }
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
    let mut said = (false, false);
    loop {
        let t = phase(started);
        let cycle = started.elapsed().as_secs() / CYCLE.as_secs();
        if cycle_seen != Some(cycle) {
            cycle_seen = Some(cycle);
            reported = 0;
            said = (false, false);
            let window = api.post(
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
            if let Some(id) = window.as_ref().and_then(|w| w["id"].as_i64()) {
                api.post("/api/v1/statements", cdm_announcement(id, t), None)
                    .await;
            }
        }
        if t >= BMCE_VAGUE && !said.0 {
            said.0 = true;
            api.post("/api/v1/statements", bmce_vague(), None).await;
        }
        if t >= BMCE_PROMISE && !said.1 {
            said.1 = true;
            api.post(
                "/api/v1/statements",
                bmce_promise(BMCE_FAILS.end.saturating_sub(t)),
                None,
            )
            .await;
        }
        if BMCE_REPORTS.contains(&t) && reported < REPORTERS {
            let r = reporter(cycle, reported);
            api.post("/api/v1/reports", r.body(), Some(&r.ip)).await;
            if reported < FORGED {
                let f = forged(cycle, reported);
                api.post("/api/v1/reports", f.body(), Some(&f.ip)).await;
            }
            reported += 1;
        }
        tokio::time::sleep(Duration::from_millis(1000)).await;
    }
}

/// Crédit du Maroc's announcement of its weekend stop, as the bank put it, under its window.
fn cdm_announcement(window: i64, t: Duration) -> Value {
    json!({
        "bank": "cdm",
        "channels": ["mobile", "web"],
        "text": {
            "ar": "نخبر زبناءنا الكرام أن تطبيق myCDM وخدماتنا عبر الإنترنت ستتوقف من الجمعة 13 فبراير على الساعة 16:00 إلى الأحد 15 فبراير على الساعة 18:00، بسبب عملية تحديث لنظامنا المعلوماتي.",
            "fr": "Nous informons notre aimable clientèle que l'application myCDM et nos services en ligne seront interrompus du vendredi 13 février à 16h00 au dimanche 15 février à 18h00, en raison d'une opération de mise à niveau de notre système d'information."
        },
        "translations": {
            "en": "We inform our customers that the myCDM app and our online services will stop from Friday 13 February at 16:00 to Sunday 15 February at 18:00, for an upgrade of our information system."
        },
        "source_url": "https://www.creditdumaroc.ma",
        "source_kind": "website",
        "said_at": at(Duration::ZERO),
        "expected_back_at": at(CDM_WINDOW.end.saturating_sub(t)),
        "incident": window
    })
}

/// What Bank of Africa's customers got, late: "a problem in the system", no time of return.
fn bmce_vague() -> Value {
    json!({
        "bank": "bmce",
        "text": {
            "ar": "نعتذر لزبنائنا عن الاضطراب الذي تعرفه بعض خدماتنا بسبب مشكل تقني في النظام. فرقنا معبأة.",
            "fr": "Nous nous excusons auprès de nos clients pour la perturbation de certains de nos services, due à un problème technique dans le système. Nos équipes sont mobilisées."
        },
        "translations": {
            "en": "We apologise to our customers for the disruption of some of our services, due to a technical problem in the system. Our teams are at work."
        },
        "source_url": "https://www.facebook.com/BankofAfrica.ma",
        "source_kind": "facebook",
        "said_at": at(Duration::ZERO)
    })
}

/// Then a time of return for the app, `back_in` from now, which the bank misses by seconds.
fn bmce_promise(back_in: Duration) -> Value {
    json!({
        "bank": "bmce",
        "channels": ["mobile"],
        "text": {
            "fr": "L'application sera de nouveau disponible dans quelques instants. Merci de votre patience."
        },
        "translations": {
            "ar": "سيعود التطبيق إلى العمل بعد لحظات. شكرا على صبركم.",
            "en": "The app will be available again in a few moments. Thank you for your patience."
        },
        "source_url": "https://www.facebook.com/BankofAfrica.ma",
        "source_kind": "facebook",
        "said_at": at(Duration::ZERO),
        "expected_back_at": at(back_in)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::statements::{check, StatementBody};

    /// The demo's statements are what the API takes, and the BMCE promise falls when the
    /// failure ends.
    #[test]
    fn the_demos_statements_are_taken_by_the_api() {
        let tz = chrono_tz::Africa::Casablanca;
        let now = SystemClock.now() + chrono::Duration::seconds(1);
        let t = BMCE_PROMISE;
        for body in [
            cdm_announcement(7, CDM_WINDOW.start),
            bmce_vague(),
            bmce_promise(BMCE_FAILS.end.saturating_sub(t)),
        ] {
            let b: StatementBody = serde_json::from_value(body).expect("the API's shape");
            check(b, &["bmce", "cdm"], tz, now).expect("taken");
        }
        let promise = bmce_promise(BMCE_FAILS.end.saturating_sub(t));
        let b: StatementBody = serde_json::from_value(promise).expect("the API's shape");
        let c = check(b, &["bmce"], tz, now).expect("taken");
        // Each time is read to the second on its own: they may straddle a second.
        let back = (c.expected_back_at.expect("a promise") - c.said_at).num_seconds();
        let meant = (BMCE_FAILS.end - BMCE_PROMISE).as_secs() as i64;
        assert!((back - meant).abs() <= 1, "{back} s, not {meant} s");
        assert_eq!(c.channels, Some(vec![crate::domain::Channel::Mobile]));
    }
}
