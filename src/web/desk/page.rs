//! What every desk page shares: its language and form token ([`Ctx`]), the desk's own
//! navigation and sign-out ([`Chrome`]), the texts of a field in three languages
//! ([`Texts`]), and the answer's headers. Every answer of the desk is also `no-store` and
//! `noindex`, by the layer around its routes (`web/mod.rs`).

use askama::Template;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::form::{self, Fields};
use crate::domain::{Lang, Names};
use crate::i18n::{local_time, message, text, Msg};
use crate::store::{IncidentRow, UpdateRow};
use crate::web::client::{form_cookie, reuse_form_token};
use crate::web::error::{AppError, PageError};
use crate::web::pages::page_lang;
use crate::web::views::Layout;
use crate::web::AppState;

/// A request at the desk: its language and form token.
pub struct Ctx {
    pub lang: Lang,
    pub csrf: String,
    fresh_csrf: bool,
    set_lang: bool,
    pub tz: Tz,
    /// When the request is served, by the service's clock.
    pub now: DateTime<Utc>,
    pub operator: String,
    network_cut: Option<DateTime<Utc>>,
}

impl Ctx {
    pub fn new(
        state: &AppState,
        headers: &HeaderMap,
        query: Option<&str>,
        operator: Option<&str>,
    ) -> Result<Self, PageError> {
        let (lang, set_lang) = page_lang(state, query, headers)?;
        let (csrf, fresh_csrf) = reuse_form_token(&state.reporter_key, headers, state.clock.now());
        Ok(Ctx {
            lang,
            csrf,
            fresh_csrf,
            set_lang,
            tz: state.config.timezone,
            now: state.clock.now(),
            operator: operator.unwrap_or_default().to_owned(),
            network_cut: state.live.snapshot().network_cut_since,
        })
    }

    /// The message `id` in the page's language.
    pub fn msg(&self, id: &str) -> &'static str {
        message(self.lang, id)
    }

    /// A time as the page writes it.
    pub fn at(&self, t: DateTime<Utc>) -> String {
        local_time(t, self.tz, self.lang)
    }

    /// The page's frame: title, language switcher to `path`; no feeds announced.
    pub fn layout(&self, title: &str, path: &str) -> Layout {
        let mut l = Layout::new(
            self.lang,
            format!("{title} · {}", message(self.lang, "desk-title")),
            path,
            self.tz,
            self.network_cut,
        );
        l.feeds.clear();
        l.description = message(self.lang, "desk-title").to_owned();
        l
    }

    /// The desk's navigation with `current` marked, and what signing out needs.
    pub fn chrome(&self, current: &str) -> Chrome {
        let lang = self.lang.as_str();
        let nav = [
            ("home", "/desk", "desk-nav-home"),
            ("windows", "/desk/windows/new", "desk-nav-window"),
            ("incidents", "/desk/incidents/new", "desk-nav-incident"),
            ("statements", "/desk/statements/new", "desk-nav-statement"),
            ("reports", "/desk/reports", "desk-nav-reports"),
        ]
        .into_iter()
        .map(|(id, href, label)| NavLink {
            href: format!("{href}?lang={lang}"),
            label: self.msg(label),
            current: id == current,
        })
        .collect();
        Chrome {
            operator: self.operator.clone(),
            csrf: self.csrf.clone(),
            lang,
            nav,
            langs: Lang::ALL
                .into_iter()
                .map(|l| {
                    (
                        l.as_str(),
                        text(l).lang_name,
                        if l.is_rtl() { "rtl" } else { "ltr" },
                    )
                })
                .collect(),
        }
    }

    /// `page` as the answer, with the form token's cookie when it is new.
    pub fn render<T: Template>(&self, status: StatusCode, page: &T) -> Result<Response, PageError> {
        let html = page
            .render()
            .map_err(|e| AppError::from(e).page(self.lang))?;
        let mut res = (status, Html(html)).into_response();
        let out = res.headers_mut();
        out.insert(
            header::CONTENT_LANGUAGE,
            HeaderValue::from_static(self.lang.as_str()),
        );
        if self.fresh_csrf {
            if let Some(v) = form_cookie(&self.csrf) {
                out.append(header::SET_COOKIE, v);
            }
        }
        if self.set_lang {
            if let Ok(v) = HeaderValue::from_str(&format!(
                "{}={}; Path=/; Max-Age=31536000; SameSite=Lax",
                crate::web::lang::COOKIE,
                self.lang.as_str()
            )) {
                out.append(header::SET_COOKIE, v);
            }
        }
        Ok(res)
    }
}

/// The desk's own bar on every page behind the sign-in.
pub struct Chrome {
    pub operator: String,
    pub csrf: String,
    pub lang: &'static str,
    pub nav: Vec<NavLink>,
    /// Each language's code, name and direction, for the fields written in all three.
    pub langs: Vec<(&'static str, &'static str, &'static str)>,
}

pub struct NavLink {
    pub href: String,
    pub label: &'static str,
    pub current: bool,
}

/// A field's text in each language, as a form shows it again.
#[derive(Debug, Clone, Default)]
pub struct Texts {
    pub ar: String,
    pub fr: String,
    pub en: String,
}

impl Texts {
    pub fn get(&self, code: &str) -> &str {
        match code {
            "ar" => &self.ar,
            "fr" => &self.fr,
            _ => &self.en,
        }
    }

    /// What `names` holds in each language, blank where it has none.
    pub fn of(names: &Names) -> Self {
        let one = |s: &Option<String>| s.clone().unwrap_or_default();
        Texts {
            ar: one(&names.ar),
            fr: one(&names.fr),
            en: one(&names.en),
        }
    }

    /// As the form sent it back.
    pub fn from_fields(fields: &Fields, name: &str) -> Self {
        Texts {
            ar: fields.get(&format!("{name}_ar")).to_owned(),
            fr: fields.get(&format!("{name}_fr")).to_owned(),
            en: fields.get(&format!("{name}_en")).to_owned(),
        }
    }
}

/// A choice among several (banks, channels), checked or not.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

/// Every bank, the `chosen` ones checked.
pub fn bank_choices(state: &AppState, lang: Lang, chosen: &[String]) -> Vec<Choice> {
    state
        .config
        .banks
        .iter()
        .map(|b| Choice {
            value: b.slug.clone(),
            label: b.names.get(lang).to_owned(),
            checked: chosen.contains(&b.slug),
        })
        .collect()
}

/// Every channel, the `chosen` ones checked.
pub fn channel_choices(lang: Lang, chosen: &[String]) -> Vec<Choice> {
    crate::domain::Channel::ALL
        .into_iter()
        .map(|c| Choice {
            value: c.as_str().to_owned(),
            label: crate::i18n::channel_name(c, lang).to_owned(),
            checked: chosen.iter().any(|x| x == c.as_str()),
        })
        .collect()
}

/// A time as the desk's forms write it: local, `YYYY-MM-DD HH:MM`.
pub fn local_input(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// A time typed in a desk form, as the API reads it: a space between date and time is
/// taken for the `T` a phone's keyboard makes hard to type.
pub fn time_field(raw: &str) -> String {
    let raw = raw.trim();
    match raw.split_once(' ') {
        Some((date, time)) if date.len() == 10 && !time.contains(' ') => format!("{date}T{time}"),
        _ => raw.to_owned(),
    }
}

/// Reads a posted desk form: the request's language, its context, fields and key. A form
/// that does not come from the desk answers 403 here.
pub async fn posted(
    state: &AppState,
    operator: &str,
    uri: &Uri,
    req: Request,
) -> Result<(Ctx, Fields, String), PageError> {
    let headers = req.headers().clone();
    let (lang, _) = page_lang(state, uri.query(), &headers)?;
    let fields = form::read(state, &headers, req)
        .await
        .map_err(|e| e.page(lang))?;
    let key = form::key(&fields).map_err(|e| e.page(lang))?;
    let ctx = Ctx::new(state, &headers, uri.query(), Some(operator))?;
    Ok((ctx, fields, key))
}

/// An incident with its timeline, or the 404 page for an id there is none of.
pub async fn incident_or_404(
    state: &AppState,
    id: &str,
    lang: Lang,
) -> Result<(IncidentRow, Vec<UpdateRow>), PageError> {
    let missing = || AppError::NotFound(Msg::new("err-no-incident").arg("id", id)).page(lang);
    let n: i64 = id.parse().map_err(|_| missing())?;
    state
        .store
        .incident(n)
        .await
        .map_err(|e| AppError::from(e).page(lang))?
        .ok_or_else(missing)
}

/// What a form shows when an action was refused: the sentence, in the page's language.
/// Storage failures are not the form's to show: they become the error page.
pub fn refusal(e: AppError, lang: Lang) -> Result<(StatusCode, String), PageError> {
    match e {
        AppError::Internal(_) | AppError::Unavailable(_) => Err(e.page(lang)),
        e => Ok((e.status(), e.public_message(lang))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_times_are_read_with_a_space_or_a_t() {
        assert_eq!(time_field(" 2027-02-06 22:00 "), "2027-02-06T22:00");
        assert_eq!(time_field("2027-02-06T22:00"), "2027-02-06T22:00");
        assert_eq!(time_field("6 Feb 22:00"), "6 Feb 22:00");
        let tz = chrono_tz::Africa::Casablanca;
        let t = crate::timezone::parse_input(&time_field("2027-02-07 06:00"), tz).expect("time");
        assert_eq!(local_input(t, tz), "2027-02-07 06:00");
    }
}
