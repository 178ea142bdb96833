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
use tower_http::cors::CorsLayer;
use tower_http::set_header::SetResponseHeaderLayer;

pub use state::{AppParts, AppState, Tokens};

/// No script at all, styles only from our own origin, never framed.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Never framed (`X-Frame-Options: DENY`), but for the embed, whose own policy says any
/// site may frame it.
async fn frame_guard(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let mut res = next.run(req).await;
    let framable = res
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("frame-ancestors *"));
    if !framable {
        res.headers_mut()
            .insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    res
}

/// Without `public_url`, absolute links (feeds, calendars) are built from the request's
/// `Host`: a shared cache must then keep one copy per host, or a forged one would be served
/// to everyone.
async fn vary_host(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let mut res = next.run(req).await;
    if state.config.public_url.is_none() {
        res.headers_mut()
            .append(header::VARY, HeaderValue::from_static("host"));
    }
    res
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

/// RFC 9112 §3.2: a request with more than one `Host` is answered 400, not read by its
/// first (a proxy may have read another).
async fn single_host(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if req.headers().get_all(header::HOST).iter().nth(1).is_some() {
        let refused = error::AppError::BadRequest(crate::i18n::Msg::new("err-host-repeated"));
        return axum::response::IntoResponse::into_response(refused);
    }
    next.run(req).await
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
        .layer(axum::middleware::from_fn(single_host))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            error_page::localize_errors,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            banner::page_notices,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            vary_host,
        ))
        // The public API, feeds and badges may be read from any page, e.g. a bank's own.
        .layer(
            CorsLayer::new()
                .allow_origin(tower_http::cors::Any)
                .allow_methods([Method::GET, Method::HEAD]),
        )
        .layer(CompressionLayer::new())
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(axum::middleware::from_fn(frame_guard))
        .with_state(state)
}
