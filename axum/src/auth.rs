//! The authenticator, its builder, and the tower layer that verifies once per request.

use std::fmt;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use axum::extract::connect_info::{ConnectInfo, MockConnectInfo};
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use caveat_token::VerificationCache;
use caveat_token::{Context, KeySource, Verifier};
use futures_util::future::{Either, MapOk, Ready, TryFutureExt};
use http::request::Parts;
use ipnet::IpNet;
use tower_layer::Layer;
use tower_service::Service;

use crate::client_ip::{self, ForwardedHeaders, Proxies};
use crate::clock::{Clock, SystemClock};
use crate::engine::{self, Checker, Held, Keys, Refusal};
use crate::rejection::{AuthRejection, TokenRefused};
use crate::token_source::{Found, Sources};
use crate::usage::{Usage, UsageEvent, UsageStats};

/// Adds request-specific context (interface, service, expected token type, invite type,
/// attributes) to the context the authenticator built from the clock and the client address.
pub type ContextHook = Arc<dyn Fn(&Parts, Context) -> Context + Send + Sync>;

/// Verifies the token of each request: where to find it, which keys and verifier (or cache)
/// to check it with, the clock, the trusted proxies, the per-route context, the usage hook.
///
/// Cheap to clone (shared). Put [`Authenticator::layer`] in front of the routes, then take
/// [`Verified`](crate::Verified), `Option<Verified>` or [`ClientIp`](crate::ClientIp) in the
/// handlers.
#[derive(Clone)]
pub struct Authenticator {
    checker: Arc<Checker>,
    keys: Arc<Keys>,
    clock: Arc<dyn Clock>,
    proxies: Arc<Proxies>,
    sources: Arc<Sources>,
    context: Option<ContextHook>,
    usage: Option<Arc<Usage>>,
    expose_details: bool,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("trusted_proxies", &self.proxies.trusted)
            .field("sources", &self.sources)
            .field("context_hook", &self.context.is_some())
            .field("usage_hook", &self.usage.is_some())
            .finish_non_exhaustive()
    }
}

/// Configures an [`Authenticator`]; start with [`Authenticator::builder`].
pub struct AuthenticatorBuilder {
    auth: Authenticator,
}

impl fmt::Debug for AuthenticatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AuthenticatorBuilder")
            .field(&self.auth)
            .finish()
    }
}

impl AuthenticatorBuilder {
    /// Verifies with `verifier` (the default is `Verifier::new()`).
    #[must_use]
    pub fn verifier(mut self, verifier: Verifier) -> Self {
        self.auth.checker = Arc::new(Checker::Plain(verifier));
        self
    }

    /// Verifies through `cache` (known tokens skip decoding and the chain; their caveats are
    /// still cleared against every request).
    #[must_use]
    pub fn cache(mut self, cache: VerificationCache) -> Self {
        self.auth.checker = Arc::new(Checker::Cached(cache));
        self
    }

    /// Reads the time from `clock` (the default is [`SystemClock`]).
    #[must_use]
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.auth.clock = Arc::new(clock);
        self
    }

    /// Believes the forwarding headers of peers in these networks (none by default: only the
    /// socket peer counts).
    #[must_use]
    pub fn trust_proxies(mut self, networks: impl IntoIterator<Item = IpNet>) -> Self {
        Arc::make_mut(&mut self.auth.proxies)
            .trusted
            .extend(networks);
        self
    }

    /// Which forwarding header the trusted proxies write (default: either, not both).
    #[must_use]
    pub fn forwarded_headers(mut self, headers: ForwardedHeaders) -> Self {
        Arc::make_mut(&mut self.auth.proxies).headers = headers;
        self
    }

    /// Limits on a trusted proxy's forwarding header: total bytes (default
    /// [`DEFAULT_MAX_HEADER_BYTES`](crate::DEFAULT_MAX_HEADER_BYTES)) and hops walked (default
    /// [`DEFAULT_MAX_HOPS`](crate::DEFAULT_MAX_HOPS)). Over either is `badForwardedHeader`.
    #[must_use]
    pub fn forwarded_limits(mut self, max_header_bytes: usize, max_hops: usize) -> Self {
        let proxies = Arc::make_mut(&mut self.auth.proxies);
        proxies.max_header_bytes = max_header_bytes;
        proxies.max_hops = max_hops;
        self
    }

    /// Whether the `X-Auth-Token` header is read (default: yes).
    #[must_use]
    pub fn x_auth_token(mut self, read: bool) -> Self {
        Arc::make_mut(&mut self.auth.sources).x_auth_token = read;
        self
    }

    /// Whether `Authorization: Bearer` is read (default: yes).
    #[must_use]
    pub fn bearer(mut self, read: bool) -> Self {
        Arc::make_mut(&mut self.auth.sources).bearer = read;
        self
    }

    /// Also reads the token from the cookie `name` (default: no cookie).
    #[must_use]
    pub fn cookie(mut self, name: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.auth.sources).cookie = Some(name.into());
        self
    }

    /// Adds request-specific context; see [`Authenticator::with_context`].
    #[must_use]
    pub fn context<F>(mut self, hook: F) -> Self
    where
        F: Fn(&Parts, Context) -> Context + Send + Sync + 'static,
    {
        self.auth.context = Some(Arc::new(hook));
        self
    }

    /// Calls `callback` after each successful verification, off the request path: events go
    /// through a queue of `capacity`; when it is full an event is dropped and counted
    /// ([`Authenticator::usage_stats`]), never waited for. See [`crate::usage`].
    #[must_use]
    pub fn on_usage<F, Fut>(mut self, capacity: usize, callback: F) -> Self
    where
        F: Fn(UsageEvent) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.auth.usage = Some(Arc::new(Usage::new(capacity, callback)));
        self
    }

    /// Sends the library's whole error object as `details.authError` (for development). The
    /// default sends only the stable id and the failing caveat's reason.
    #[must_use]
    pub fn expose_details(mut self, expose: bool) -> Self {
        self.auth.expose_details = expose;
        self
    }

    /// The authenticator.
    #[must_use]
    pub fn build(self) -> Authenticator {
        self.auth
    }
}

/// What the layer found, for the extractors.
#[derive(Clone, Debug)]
pub(crate) struct Outcome {
    pub(crate) client_ip: Result<Option<IpAddr>, AuthRejection>,
    pub(crate) token: TokenState,
}

#[derive(Clone, Debug)]
pub(crate) enum TokenState {
    Absent,
    Verified(Held),
    Rejected(AuthRejection),
}

impl Authenticator {
    /// An authenticator checking tokens against `keys` (a [`RootKey`](caveat_token::RootKey),
    /// a [`KeyRing`](caveat_token::KeyRing) or any [`KeySource`]) with `Verifier::new()`, the
    /// system clock, no trusted proxy, `X-Auth-Token` and `Authorization: Bearer`.
    pub fn builder(keys: impl KeySource + Send + Sync + 'static) -> AuthenticatorBuilder {
        AuthenticatorBuilder {
            auth: Self {
                checker: Arc::new(Checker::default()),
                keys: Arc::new(keys),
                clock: Arc::new(SystemClock),
                proxies: Arc::new(Proxies::default()),
                sources: Arc::new(Sources::default()),
                context: None,
                usage: None,
                expose_details: false,
            },
        }
    }

    /// The same authenticator with another context hook, for one route or group of routes:
    /// `route("/x", get(h).route_layer(auth.with_context(..).layer()))`. The hook gets the
    /// request head and the context built so far (time, client address) and returns it with
    /// what the route expects, e.g. `ctx.expecting(Expect::Access)`. Under an outer layer the
    /// route's layer verifies again with its own context and its outcome is the one the
    /// extractors see (the usage hook then hears of the request twice).
    #[must_use]
    pub fn with_context<F>(&self, hook: F) -> Self
    where
        F: Fn(&Parts, Context) -> Context + Send + Sync + 'static,
    {
        Self {
            context: Some(Arc::new(hook)),
            ..self.clone()
        }
    }

    /// A layer that verifies each request's token and leaves the outcome to the extractors: a
    /// request without a token, or with a bad one, still reaches the handler (which refuses it
    /// by taking [`Verified`](crate::Verified)).
    #[must_use]
    pub fn layer(&self) -> AuthLayer {
        AuthLayer {
            auth: self.clone(),
            require: false,
        }
    }

    /// A layer that also refuses, before the handler, every request without a valid token.
    #[must_use]
    pub fn require(&self) -> AuthLayer {
        AuthLayer {
            auth: self.clone(),
            require: true,
        }
    }

    /// The usage hook's counters (zero without a hook).
    #[must_use]
    pub fn usage_stats(&self) -> UsageStats {
        self.usage.as_ref().map(|u| u.stats()).unwrap_or_default()
    }

    /// Verifies the request whose head is `parts`: the client address, then the token.
    fn authenticate(&self, parts: &Parts) -> Outcome {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0)
            .or_else(|| {
                parts
                    .extensions
                    .get::<MockConnectInfo<SocketAddr>>()
                    .map(|c| c.0)
            });
        let client_ip = self
            .proxies
            .resolve(peer.as_ref().map(client_ip::peer_ip), &parts.headers)
            .map_err(AuthRejection::bad_forwarded);
        let token = match self.sources.find(&parts.headers) {
            Found::None => TokenState::Absent,
            Found::Several => TokenState::Rejected(AuthRejection::MultipleTokens),
            Found::Unreadable => TokenState::Rejected(self.refused(Refusal::unreadable_header())),
            Found::One(text) => match &client_ip {
                Err(rejection) => TokenState::Rejected(rejection.clone()),
                Ok(ip) => self.verify(parts, text, *ip),
            },
        };
        Outcome { client_ip, token }
    }

    fn verify(&self, parts: &Parts, text: &str, ip: Option<IpAddr>) -> TokenState {
        let now = self.clock.now();
        let mut ctx = engine::base_context(now, ip);
        if let Some(hook) = &self.context {
            ctx = hook(parts, ctx);
        }
        match self.checker.verify(text, &*self.keys, &ctx) {
            Ok(held) => {
                if let Some(usage) = &self.usage {
                    usage.emit(UsageEvent {
                        token_id: held.token_id(),
                        subject: held.subject(),
                        at: now,
                        client_ip: ip,
                    });
                }
                TokenState::Verified(held)
            }
            Err(refusal) => TokenState::Rejected(self.refused(refusal)),
        }
    }

    fn refused(&self, refusal: Refusal) -> AuthRejection {
        AuthRejection::Refused(TokenRefused::new(refusal, self.expose_details))
    }
}

/// The tower layer of an [`Authenticator`].
#[derive(Clone, Debug)]
pub struct AuthLayer {
    auth: Authenticator,
    require: bool,
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> AuthService<S> {
        AuthService {
            inner,
            auth: self.auth.clone(),
            require: self.require,
        }
    }
}

/// The service the [`AuthLayer`] wraps around the routes.
#[derive(Clone, Debug)]
pub struct AuthService<S> {
    inner: S,
    auth: Authenticator,
    require: bool,
}

type Early<E> = Ready<Result<Response, E>>;
type Passed<F, R> = MapOk<F, fn(R) -> Response>;

impl<S> Service<Request> for AuthService<S>
where
    S: Service<Request>,
    S::Response: IntoResponse,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Either<Early<S::Error>, Passed<S::Future, S::Response>>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let (mut parts, body) = request.into_parts();
        let outcome = self.auth.authenticate(&parts);
        if self.require {
            let refusal = match &outcome.token {
                TokenState::Verified(_) => None,
                TokenState::Absent => Some(AuthRejection::Missing),
                TokenState::Rejected(rejection) => Some(rejection.clone()),
            };
            if let Some(rejection) = refusal {
                return Either::Left(futures_util::future::ready(Ok(rejection.into_response())));
            }
        }
        parts.extensions.insert(outcome);
        let to_response: fn(S::Response) -> Response = IntoResponse::into_response;
        Either::Right(
            self.inner
                .call(Request::from_parts(parts, body))
                .map_ok(to_response),
        )
    }
}
