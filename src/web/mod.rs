//! HTTP: the router, pages, JSON API, operations endpoints and errors.

mod agents;
pub mod api;
pub mod assets;
pub mod auth;
pub mod auth_throttle;
pub mod availability;
pub mod badge;
pub mod banner;
pub mod cache;
pub mod calendar;
pub mod client;
mod csv;
pub mod desk;
pub mod discovery;
pub mod error;
pub mod error_page;
pub mod feeds;
pub mod figures;
mod finished;
pub mod freshness;
pub mod history;
pub mod icons;
pub mod input;
pub mod lang;
pub mod log;
mod markup;
pub mod openapi;
pub mod operator;
pub mod ops;
pub mod pages;
pub mod reports;
pub mod scorecard;
pub mod server;
pub mod state;
pub mod statements;
pub mod statuspage;
pub mod subscriptions;
pub mod svg;
pub mod views;

use axum::http::Method;
use axum::http::{header, HeaderName, HeaderValue};
use axum::routing::{get, post};
use axum::Router;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;

pub use state::{AppParts, AppState, Tokens};

/// No script at all, styles only from our own origin, never framed.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Every answer passes here, in one layer rather than nine (each layer costs every
/// request a clone of itself and a boxed future): CORS, the page's own checks and notices
/// (`banner.rs`), API errors in the request's language (`error_page.rs`), one `Host`
/// only, and the headers every answer carries.
async fn site(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if req.method() == Method::OPTIONS {
        return cors_preflight();
    }
    let mut res = match banner::asked(&state, &req) {
        Err(refused) => axum::response::IntoResponse::into_response(refused),
        Ok(asked) => {
            let lang = lang::request_lang(
                state.config.default_language,
                req.uri().query(),
                req.headers(),
            );
            // RFC 9112 §3.2: a request with more than one `Host` is answered 400, not read
            // by its first (a proxy may have read another).
            let res = if req.headers().get_all(header::HOST).iter().nth(1).is_some() {
                let refused =
                    error::AppError::BadRequest(crate::i18n::Msg::new("err-host-repeated"));
                axum::response::IntoResponse::into_response(refused)
            } else {
                next.run(req).await
            };
            banner::with_page_notices(&state, asked, error_page::localize(res, lang)).await
        }
    };
    site_headers(&state, res.headers_mut());
    res
}

/// What CORS answers vary on, as `tower_http`'s `CorsLayer` says it.
const CORS_VARY: &str = "origin, access-control-request-method, access-control-request-headers";

/// The answer to any `OPTIONS`: a CORS preflight allowing GET and HEAD from any origin,
/// as `CorsLayer::new().allow_origin(Any).allow_methods([GET, HEAD])` gives it.
fn cors_preflight() -> axum::response::Response {
    let headers = [
        (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        (header::ACCESS_CONTROL_ALLOW_METHODS, "GET,HEAD"),
        (header::VARY, CORS_VARY),
    ];
    axum::response::IntoResponse::into_response(headers)
}

/// What every answer says of how it may be used: no script and nothing framed but the
/// embed (whose own policy lets any site frame it), no sniffing, a short referrer, and
/// readable from any page (the public API, feeds and badges, e.g. on a bank's own site);
/// and, without `public_url`, that absolute links (feeds, calendars) are built from the
/// request's `Host`, so a shared cache keeps one copy per host rather than serving a
/// forged one to everyone.
fn site_headers(state: &AppState, headers: &mut axum::http::HeaderMap) {
    if state.config.public_url.is_none() {
        headers.append(header::VARY, HeaderValue::from_static("host"));
    }
    headers.append(header::VARY, HeaderValue::from_static(CORS_VARY));
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    let framable = match headers.get(header::CONTENT_SECURITY_POLICY) {
        Some(csp) => csp
            .as_bytes()
            .windows(17)
            .any(|w| w == b"frame-ancestors *"),
        None => {
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            );
            false
        }
    };
    if !framable {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
}

/// `303 See Other` to `location`: every form answers so, so a reload never posts again.
pub(crate) fn see_other(location: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        axum::http::StatusCode::SEE_OTHER,
        [(header::LOCATION, location.to_owned())],
    )
        .into_response()
}

/// The desk's routes: never cached, never indexed, whatever they answer.
fn desk_routes() -> Router<AppState> {
    use desk::{
        corrections, home, incidents, moderation, session, statements, updates, windows,
        withdrawals,
    };
    Router::new()
        .route("/desk", get(home::home))
        .route("/desk/sign-in", post(session::sign_in))
        .route("/desk/sign-out", post(session::sign_out))
        .route("/desk/done/{key}", get(home::done))
        .route("/desk/windows", post(windows::create_window))
        .route("/desk/windows/new", get(windows::new_window))
        .route(
            "/desk/windows/{id}",
            get(windows::edit_window).post(windows::change_window),
        )
        .route("/desk/windows/{id}/cancel", post(windows::cancel_window))
        .route("/desk/incidents", post(incidents::create_incident))
        .route("/desk/incidents/new", get(incidents::new_incident))
        .route("/desk/incidents/{id}", get(updates::incident))
        .route("/desk/incidents/{id}/updates", post(updates::post_update))
        .route(
            "/desk/incidents/{id}/updates/{update}/correct",
            get(corrections::correct_form).post(corrections::post_correction),
        )
        .route(
            "/desk/incidents/{id}/withdraw",
            get(withdrawals::withdraw_form).post(withdrawals::post_withdrawal),
        )
        .route("/desk/statements", post(statements::create_statement))
        .route("/desk/statements/new", get(statements::new_statement))
        .route("/desk/reports", get(moderation::reports))
        .route("/desk/reports/{id}/delete", post(moderation::delete_one))
        .route(
            "/desk/reports/{id}/delete-reporter",
            post(moderation::delete_reporter),
        )
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("x-robots-tag"),
            HeaderValue::from_static("noindex, nofollow"),
        ))
}

pub fn router(state: AppState) -> Router {
    let (api, _) = openapi::api_routes().split_for_parts();
    Router::new()
        .route("/", get(pages::home))
        .route("/banks/{slug}", get(pages::bank))
        .route("/incidents/{id}", get(pages::incident))
        .route("/history", get(history::history))
        .route("/scorecard", get(scorecard::current))
        .route("/scorecard/{month}", get(scorecard::month))
        .route(
            "/report",
            get(reports::report_form).post(reports::submit_form),
        )
        .route(
            "/subscribe",
            get(subscriptions::subscribe_form).post(subscriptions::submit_subscribe),
        )
        .route("/subscriptions/{id}", get(subscriptions::manage))
        .route(
            "/subscriptions/{id}/confirm",
            get(subscriptions::confirm_page).post(subscriptions::confirm),
        )
        .route(
            "/subscriptions/{id}/unsubscribe",
            post(subscriptions::unsubscribe),
        )
        .route("/push.js", get(subscriptions::push_script))
        .route("/push-sw.js", get(subscriptions::push_worker))
        .route("/feed.rss", get(feeds::rss_all))
        .route("/feed.atom", get(feeds::atom_all))
        .route("/banks/{slug}/feed.rss", get(feeds::rss_bank))
        .route("/banks/{slug}/feed.atom", get(feeds::atom_bank))
        .route("/maintenance.ics", get(calendar::all))
        .route("/banks/{slug}/maintenance.ics", get(calendar::bank))
        .route("/badge/{file}", get(badge::badge))
        .route("/static/{file}", get(assets::serve))
        .route("/accessibility", get(pages::accessibility))
        .route("/methodology", get(pages::methodology::methodology))
        .route("/embed", get(pages::embed_all))
        .route("/embed/banks/{slug}", get(pages::embed_bank))
        .route("/og.png", get(icons::preview_all))
        .route("/og/banks/{file}", get(icons::preview_bank))
        .route("/favicon.svg", get(icons::favicon_svg))
        .route("/favicon.ico", get(icons::favicon_png))
        .route("/favicon.png", get(icons::favicon_png))
        .route("/robots.txt", get(icons::robots))
        .route("/log/checkpoint", get(log::checkpoint))
        .route("/log/key", get(log::key))
        .route("/log/tile/{*path}", get(log::tile))
        .route("/incidents/{id}/evidence.json", get(pages::evidence_pack))
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .merge(api)
        .merge(desk_routes())
        .fallback(error_page::fallback)
        .layer(axum::middleware::from_fn_with_state(state.clone(), site))
        .layer(CompressionLayer::new())
        .with_state(state)
}
