//! `/embed` and `/embed/banks/{slug}`: the statuses alone, without the site's header, for a
//! bank's or a newspaper's own page to frame. Script-free like every page; the only routes
//! that any site may frame.

use askama::Template;

use super::home::cards;
use crate::domain::Lang;
use crate::i18n::text;
use crate::store::WindowFilter;
use crate::web::assets::STYLE_HREF;
use crate::web::error::AppError;
use crate::web::statements::panel::Said;
use crate::web::views::BankCard;
use crate::web::AppState;

/// What may frame the embed: any site. Everything else keeps `frame-ancestors 'none'`.
pub const EMBED_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'none'; frame-ancestors *; base-uri 'none'";

#[derive(Template)]
#[template(path = "embed.html")]
struct EmbedPage {
    lang: &'static str,
    dir: &'static str,
    title: String,
    css: &'static str,
    full: String,
    base: String,
    banks: Vec<BankCard>,
}

pub async fn render(
    state: &AppState,
    only: Option<&str>,
    lang: Lang,
    base: &str,
) -> Result<String, AppError> {
    let now = state.clock.now();
    let windows = state
        .store
        .windows(&WindowFilter {
            open_only: true,
            bank: only.map(str::to_owned),
            limit: 100,
            ..Default::default()
        })
        .await?;
    let said = Said::load(state, only).await?;
    let snapshot = state.live.snapshot();
    let t = text(lang);
    let (title, full) = match only.and_then(|s| state.config.bank(s)) {
        Some(b) => (
            b.names.get(lang).to_owned(),
            format!("{base}/banks/{}?lang={}", b.slug, lang.as_str()),
        ),
        None => (
            t.site_title.to_owned(),
            format!("{base}/?lang={}", lang.as_str()),
        ),
    };
    let page = EmbedPage {
        lang: lang.as_str(),
        dir: if lang.is_rtl() { "rtl" } else { "ltr" },
        title,
        css: STYLE_HREF.as_str(),
        full,
        base: base.to_owned(),
        banks: cards(state, &snapshot, &windows, &said, only, lang, now)
            .into_iter()
            .map(|(_, c)| c)
            .collect(),
    };
    Ok(page.render()?)
}
