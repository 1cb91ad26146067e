//! The HTTP layer: axum routes, thin over [`crate::service`]. Every response to a client's
//! input is 2xx or 4xx with a JSON body; 5xx means the server itself failed.

mod extract;
mod limit;
mod oauth;
mod onezone;
pub mod openapi;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use caveat_token::caveat::Interface;
use caveat_token::Expect;
use caveat_token_axum::Authenticator;
use ipnet::IpNet;

pub use extract::{ApiError, MAX_BODY};
pub use limit::RateLimiter;

use crate::service::Service;
use crate::service::{sync_loop, usage_flusher};

/// What every handler shares.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The token service.
    pub service: Arc<Service>,
    /// The rate limit of unauthenticated routes.
    pub limiter: Arc<RateLimiter>,
}

/// How the HTTP layer is set up.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Proxies whose forwarding headers are believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Requests per second per client on unauthenticated routes.
    pub rate: u32,
    /// Burst of requests per client on unauthenticated routes.
    pub burst: u32,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            trusted_proxies: Vec::new(),
            rate: 20,
            burst: 100,
        }
    }
}

/// The application: every route, behind the token authentication layer.
pub fn router(service: Arc<Service>, config: &HttpConfig) -> Router {
    let usage_service = Arc::clone(&service);
    let auth = Authenticator::builder(service.key_ring())
        .verifier(service.verifier())
        .trust_proxies(config.trusted_proxies.iter().copied())
        .context(|_, ctx| {
            ctx.expecting(Expect::Access)
                .with_interface(Interface::Rest)
        })
        .on_usage(4096, move |event| {
            usage_service.record_use(&event.token_id, event.at);
            std::future::ready(())
        })
        .build();
    let state = AppState {
        service,
        limiter: Arc::new(RateLimiter::new(config.rate, config.burst)),
    };
    let onezone = Router::new()
        .route(
            "/user/tokens/temporary",
            post(onezone::create_temporary)
                .get(onezone::generation)
                .delete(onezone::revoke_all),
        )
        .route(
            "/user/tokens/named",
            post(onezone::create_named).get(onezone::list_named),
        )
        .route(
            "/user/tokens/named/{id}",
            get(onezone::get_named)
                .patch(onezone::update_named)
                .delete(onezone::delete_named),
        )
        .route(
            "/tokens/named/{id}",
            get(onezone::get_named)
                .patch(onezone::update_named)
                .delete(onezone::delete_named),
        )
        .route("/tokens/verify_access_token", post(onezone::verify_access))
        .route(
            "/tokens/verify_identity_token",
            post(onezone::verify_identity),
        )
        .route("/tokens/verify_invite_token", post(onezone::verify_invite))
        .route("/tokens/examine", post(onezone::examine));
    Router::new()
        .nest("/api/v3/onezone", onezone)
        .route("/token", post(oauth::token))
        .route("/introspect", post(oauth::introspect))
        .route("/revoke", post(oauth::revoke))
        .route("/api/createApiToken", get(oauth::insight_create))
        .route("/api/getApiTokens", get(oauth::insight_list))
        .route("/api/revokeApiToken", get(oauth::insight_revoke))
        .route(
            "/openapi.json",
            get(|| async { axum::Json(openapi::document()) }),
        )
        .route("/health", get(health))
        .fallback(|| async {
            ApiError::with_id(
                StatusCode::NOT_FOUND,
                "notFound",
                "The resource could not be found.",
            )
        })
        .method_not_allowed_fallback(|| async {
            ApiError::with_id(
                StatusCode::METHOD_NOT_ALLOWED,
                "methodNotAllowed",
                "The method is not allowed on this resource.",
            )
            .into_response()
        })
        .with_state(state)
        .layer(auth.layer())
}

/// `GET /health`: 200 with the node's lag behind the shared state, or 503 when the lag is over
/// the bound (a load balancer then sends the node nothing until it has caught up).
async fn health(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::response::Response {
    let status = if state.service.in_sync() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(state.service.health())).into_response()
}

/// Serves `router` on `listener` until `shutdown` completes, flushing lastUsed in the
/// background and once more at the end.
///
/// # Errors
/// I/O errors of the listener.
pub async fn serve(
    listener: tokio::net::TcpListener,
    service: Arc<Service>,
    config: &HttpConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(Arc::clone(&service), config);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let flusher = tokio::spawn(usage_flusher(Arc::clone(&service), stop_rx.clone()));
    let follower = tokio::spawn(sync_loop(Arc::clone(&service), stop_rx));
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    let _ = stop_tx.send(true);
    let _ = flusher.await;
    let _ = follower.await;
    served
}
