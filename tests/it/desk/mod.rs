//! The operator's desk through HTTP, as a browser without script uses it: cookies kept,
//! forms read from the pages and posted back from the site's own origin.
//!
//! - `session.rs`: signing in and out, the cookie, wrong tokens throttled, `no-store`.
//! - `guard.rs`: forms refused without their token or from another origin, one action per
//!   idempotency key, operators by name in the audit log.
//! - `actions.rs`: every form's action seen where the public sees it.
//! - `api.rs`: the API's side of the same actions: corrections, windows announced anew,
//!   a reporter's reports, `Idempotency-Key`.
//! - `weight.rs`: the desk's pages against the public pages' weight.

mod actions;
mod api;
mod guard;
mod session;
mod weight;

use std::collections::HashMap;

use reqwest::header::{COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use reqwest::StatusCode;

use crate::helpers::{TestApp, ADMIN};

/// A token of the length and spread `check-config` asks of an operator's.
pub const DESK_TOKEN: &str = "5f0c1e9a7b3d24c68e1f0a9b7c5d3e2f4a6b8c0d1e3f5a7b9c2d4e6f8a0b1c3d";

/// A config with one bank and one operator, `desk-1`, known by its token's SHA-256.
pub fn config() -> String {
    let digest = bankstatus::keys::hex(&bankstatus::keys::sha256(DESK_TOKEN.as_bytes()));
    format!(
        "timezone = \"Africa/Casablanca\"\ndefault_language = \"fr\"\n{}\n{}\n\
         [[banks]]\nslug = \"cdm\"\nname = {{ ar = \"مصرف المغرب\", fr = \"Crédit du Maroc\", en = \"Crédit du Maroc\" }}\n\
         [[banks]]\nslug = \"bmce\"\nname = {{ ar = \"بنك إفريقيا\", fr = \"Bank of Africa (BMCE)\", en = \"Bank of Africa (BMCE)\" }}\n\
         [[operators]]\nname = \"desk-1\"\ntoken_sha256 = \"{digest}\"\n",
        crate::helpers::REPORTS,
        crate::helpers::CITIES,
    )
}

/// One browser at the desk: its cookies, and the address it says it comes from.
pub struct Desk<'a> {
    pub app: &'a TestApp,
    pub cookies: HashMap<String, String>,
    /// Sent as `X-Forwarded-For` (the test configs trust it): the client's address.
    pub ip: String,
}

/// An answer: its status, its `Location`, its headers and its body.
pub struct Answer {
    pub status: StatusCode,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

/// The value of the hidden field `name` in the first form of `html` whose `action` starts
/// with `action`.
pub fn field(html: &str, action: &str, name: &str) -> String {
    let start = html
        .find(&format!("action=\"{action}"))
        .unwrap_or_else(|| panic!("no form to {action} in {html}"));
    let form = &html[start..];
    let form = &form[..form.find("</form>").unwrap_or(form.len())];
    let needle = format!("name=\"{name}\" value=\"");
    let at = form
        .find(&needle)
        .unwrap_or_else(|| panic!("no {name} in the form to {action}: {form}"))
        + needle.len();
    form[at..].split('"').next().unwrap().to_owned()
}

impl<'a> Desk<'a> {
    pub fn new(app: &'a TestApp, ip: &str) -> Self {
        Desk {
            app,
            cookies: HashMap::new(),
            ip: ip.to_owned(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn answer(&mut self, r: reqwest::Response) -> Answer {
        for v in r.headers().get_all(SET_COOKIE) {
            let v = v.to_str().unwrap();
            let (kv, attrs) = v.split_once(';').unwrap_or((v, ""));
            let (k, val) = kv.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), val.to_owned());
            }
        }
        Answer {
            status: r.status(),
            location: r
                .headers()
                .get(LOCATION)
                .map(|v| v.to_str().unwrap().to_owned()),
            headers: r.headers().clone(),
            body: r.text().await.unwrap(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        let r = self
            .app
            .client
            .get(self.app.url(path))
            .header(COOKIE, self.cookie_header())
            .header("x-forwarded-for", &self.ip)
            .send()
            .await
            .unwrap();
        self.answer(r).await
    }

    /// Posts `fields` as a form from `origin` (the site's own when `None`).
    pub async fn post_from(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        origin: Option<&str>,
    ) -> Answer {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let own = format!("http://{}", self.app.addr);
        let r = self
            .app
            .client
            .post(self.app.url(path))
            .header(COOKIE, self.cookie_header())
            .header(ORIGIN, origin.unwrap_or(&own))
            .header("x-forwarded-for", &self.ip)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        self.answer(r).await
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        self.post_from(path, fields, None).await
    }

    /// Signs in with `token`, from the sign-in page's own form.
    pub async fn sign_in_with(&mut self, token: &str) -> Answer {
        let page = self.get("/desk?lang=fr").await;
        let csrf = field(&page.body, "/desk/sign-in", "csrf");
        self.post(
            "/desk/sign-in?lang=fr",
            &[("csrf", &csrf), ("token", token)],
        )
        .await
    }

    /// Signed in as `admin`.
    pub async fn signed_in(app: &'a TestApp, ip: &str) -> Desk<'a> {
        let mut desk = Desk::new(app, ip);
        let a = desk.sign_in_with(ADMIN).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        desk
    }

    /// Loads the form page `page`, fills the form posted to `action` with `fields` after
    /// its own hidden ones, and posts it.
    pub async fn submit(&mut self, page: &str, action: &str, fields: &[(&str, &str)]) -> Answer {
        let p = self.get(page).await;
        assert_eq!(p.status, StatusCode::OK, "{page}: {}", p.body);
        let csrf = field(&p.body, action, "csrf");
        let key = field(&p.body, action, "idem");
        let mut all: Vec<(&str, &str)> = vec![("csrf", &csrf), ("idem", &key)];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }
}
