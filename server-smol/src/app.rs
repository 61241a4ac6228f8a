//! The application: routes, handlers and the middleware hooks.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use http_core::field::is_token;

use crate::request::{Request, RequestInfo};
use crate::response::Response;
use crate::ws::upgrade::WsRoute;
use crate::ws::{AutoAccept, WebSocket, WsHandler, WsOptions};

/// A boxed handler future.
pub type BoxFuture = Pin<Box<dyn Future<Output = Response> + Send + 'static>>;

/// An async request handler. Implemented for every
/// `Fn(Request) -> impl Future<Output = Response>` that is `Send + Sync`.
pub trait Handler: Send + Sync + 'static {
    /// Handles one request.
    fn call(&self, request: Request) -> BoxFuture;
}

impl<F, Fut> Handler for F
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    fn call(&self, request: Request) -> BoxFuture {
        Box::pin(self(request))
    }
}

type Before = Arc<dyn Fn(&mut Request) -> Option<Response> + Send + Sync>;
type After = Arc<dyn Fn(&RequestInfo, &mut Response) + Send + Sync>;

/// Why a route could not be added.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RouteError {
    /// The router refused the path template (conflict or bad syntax).
    #[error("route {route}: {source}")]
    Path {
        /// The template.
        route: String,
        /// The router's reason.
        source: router::InsertError,
    },
    /// The method is not a valid HTTP token.
    #[error("invalid method {0:?}")]
    Method(String),
    /// The same method and template were added twice.
    #[error("{method} {route} is already routed")]
    Duplicate {
        /// The method.
        method: String,
        /// The template.
        route: String,
    },
}

/// Routes, handlers and hooks: everything the server needs to answer.
///
/// ```
/// use weft_server::{App, Response};
/// let mut app = App::new();
/// app.get("/", |_req| async { Response::text("hello") });
/// app.get("/users/{id}", |req| async move {
///     Response::text(format!("user {}", req.param("id").unwrap_or("?")))
/// });
/// ```
#[derive(Default)]
pub struct App {
    /// Path templates, each with its handlers by method: the router crate's method
    /// layer answers 404, 405 with `Allow`, HEAD from GET and the trailing-slash hint.
    routes: router::MethodRouter<Route>,
    before: Vec<Before>,
    after: Vec<After>,
    /// Some route opens WebSockets: the HTTP/2 driver then offers extended CONNECT.
    websockets: bool,
    /// Handlers may send 1xx responses: each request carries an [`Interim`].
    ///
    /// [`Interim`]: crate::Interim
    interim: bool,
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field("before_hooks", &self.before.len())
            .field("after_hooks", &self.after.len())
            .finish_non_exhaustive()
    }
}

/// What a path and method lead to.
#[derive(Clone)]
enum Route {
    Http(Arc<dyn Handler>),
    WebSocket(Arc<WsRoute>),
    /// A handler for plain requests and a WebSocket route for upgrades on the same GET
    /// route ([`App::try_route_and_ws`]).
    Both(Arc<dyn Handler>, Arc<WsRoute>),
}

/// The outcome of routing one request.
pub(crate) enum Routed {
    /// A handler, with the request's path parameters filled in.
    Handler(Arc<dyn Handler>),
    /// A WebSocket route, with the request's path parameters filled in.
    WebSocket(Arc<WsRoute>),
    /// An answer without a handler: 404, 405, 400 or a `before` hook's reply.
    Answer(Response),
}

impl Routed {
    /// For a request that cannot open a WebSocket (one over HTTP/2 that is not an
    /// extended CONNECT, RFC 8441): the handler, or the answer, where a WebSocket route
    /// answers 400.
    pub(crate) fn http_only(self) -> Result<Arc<dyn Handler>, Box<Response>> {
        match self {
            Self::Handler(handler) => Ok(handler),
            Self::WebSocket(_) => Err(Box::new(Response::status_page(400))),
            Self::Answer(response) => Err(Box::new(response)),
        }
    }
}

impl App {
    /// An app with no routes: every request gets 404.
    pub fn new() -> Self {
        Self::default()
    }

    /// Routes `method` requests for the path template `route` (router syntax:
    /// `/users/{id}`, `/static/{*path}`) to `handler`.
    pub fn try_route(
        &mut self,
        method: &str,
        route: &str,
        handler: impl Handler,
    ) -> Result<&mut Self, RouteError> {
        if !is_token(method.as_bytes()) {
            return Err(RouteError::Method(method.to_owned()));
        }
        self.insert(method, route, Route::Http(Arc::new(handler)))
    }

    fn insert(&mut self, method: &str, route: &str, value: Route) -> Result<&mut Self, RouteError> {
        match self.routes.insert(method, route, value) {
            Ok(()) => Ok(self),
            // The method router reports a method added twice to the same spelling as a
            // conflict whose two sides read the same; a different spelling of the same
            // shape is a path conflict.
            Err(router::InsertError::Conflict {
                route: new,
                existing,
            }) if new == existing => Err(RouteError::Duplicate {
                method: method.to_owned(),
                route: route.to_owned(),
            }),
            Err(source) => Err(RouteError::Path {
                route: route.to_owned(),
                source,
            }),
        }
    }

    /// Routes `method` requests for `route` to `handler`.
    ///
    /// # Panics
    /// When the route is invalid or conflicts with another one: a
    /// programming error found at start-up. Use [`try_route`](Self::try_route)
    /// to handle it instead.
    pub fn route<F, Fut>(&mut self, method: &str, route: &str, handler: F) -> &mut Self
    where
        F: Fn(Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Response> + Send + 'static,
    {
        if let Err(e) = self.try_route(method, route, handler) {
            panic!("{e}");
        }
        self
    }

    /// Routes GET (and so HEAD) requests.
    pub fn get<F, Fut>(&mut self, route: &str, handler: F) -> &mut Self
    where
        F: Fn(Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Response> + Send + 'static,
    {
        self.route("GET", route, handler)
    }

    /// Routes POST requests.
    pub fn post<F, Fut>(&mut self, route: &str, handler: F) -> &mut Self
    where
        F: Fn(Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Response> + Send + 'static,
    {
        self.route("POST", route, handler)
    }

    /// Routes PUT requests.
    pub fn put<F, Fut>(&mut self, route: &str, handler: F) -> &mut Self
    where
        F: Fn(Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Response> + Send + 'static,
    {
        self.route("PUT", route, handler)
    }

    /// Routes DELETE requests.
    pub fn delete<F, Fut>(&mut self, route: &str, handler: F) -> &mut Self
    where
        F: Fn(Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Response> + Send + 'static,
    {
        self.route("DELETE", route, handler)
    }

    /// Routes WebSocket upgrades (RFC 6455) for `route` to `handler`, with the
    /// server's [`WsOptions`]. The handler accepts or rejects each upgrade; see
    /// [`WsHandler`]. A request to the route that does not ask to upgrade gets 426.
    ///
    /// ```
    /// use weft_server::{Accept, App, Message, Response};
    /// let mut app = App::new();
    /// app.ws("/chat", |upgrade: weft_server::WsUpgrade| async move {
    ///     if upgrade.request().header("origin") != Some("https://example.com") {
    ///         return upgrade.reject(Response::status_page(403));
    ///     }
    ///     let protocol = upgrade.preferred_protocol().map(str::to_owned);
    ///     let Ok(socket) = upgrade.accept(Accept::new().protocol_opt(protocol)) else {
    ///         return;
    ///     };
    ///     while let Some(message) = socket.recv().await {
    ///         if socket.send(message).await.is_err() {
    ///             break;
    ///         }
    ///     }
    /// });
    /// ```
    ///
    /// # Panics
    /// When the route is invalid or conflicts with another one; see
    /// [`try_ws`](Self::try_ws).
    pub fn ws(&mut self, route: &str, handler: impl WsHandler) -> &mut Self {
        if let Err(e) = self.try_ws(route, None, handler) {
            panic!("{e}");
        }
        self
    }

    /// Routes WebSocket upgrades for `route` to `handler`, with `options` instead of
    /// the server's.
    ///
    /// # Panics
    /// As [`ws`](Self::ws).
    pub fn ws_with(
        &mut self,
        route: &str,
        options: WsOptions,
        handler: impl WsHandler,
    ) -> &mut Self {
        if let Err(e) = self.try_ws(route, Some(options), handler) {
            panic!("{e}");
        }
        self
    }

    /// Routes WebSocket upgrades for `route`, accepting each (with the first of the
    /// server's subprotocols the client offers) and running `handler` with the socket
    /// and the request.
    ///
    /// ```
    /// use weft_server::App;
    /// let mut app = App::new();
    /// app.ws_accept("/echo", |socket, _req| async move {
    ///     while let Some(message) = socket.recv().await {
    ///         let _ = socket.send(message).await;
    ///     }
    /// });
    /// ```
    ///
    /// # Panics
    /// As [`ws`](Self::ws).
    pub fn ws_accept<F, Fut>(&mut self, route: &str, handler: F) -> &mut Self
    where
        F: Fn(WebSocket, Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.ws(route, AutoAccept(handler))
    }

    /// Routes WebSocket upgrades for `route` to `handler`, with `options` if given
    /// (else the server's). Upgrades are GET requests (RFC 6455 §4.1), so the route
    /// takes the GET (and HEAD) method of its path.
    pub fn try_ws(
        &mut self,
        route: &str,
        options: Option<WsOptions>,
        handler: impl WsHandler,
    ) -> Result<&mut Self, RouteError> {
        let value = Route::WebSocket(Arc::new(WsRoute {
            handler: Arc::new(handler),
            options: options.map(Arc::new),
        }));
        self.insert("GET", route, value)?;
        self.websockets = true;
        Ok(self)
    }

    /// Gives every request an [`Interim`](crate::Interim) through which its handler
    /// can send 1xx responses, such as 103 Early Hints (RFC 8297), before the final
    /// one. Off by default, as it costs each request an allocation.
    pub fn interim_responses(&mut self) -> &mut Self {
        self.interim = true;
        self
    }

    /// The channel of a request's 1xx responses, when the app sends them.
    pub(crate) fn interim_channel(
        &self,
    ) -> Option<(crate::Interim, crate::interim::InterimReceiver)> {
        self.interim.then(crate::interim::channel)
    }

    /// Whether some route opens WebSockets: HTTP/2 connections then advertise
    /// SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3), which no other app should offer.
    pub(crate) fn has_websocket_routes(&self) -> bool {
        self.websockets
    }

    /// Routes GET requests for `route` to `handler`, except WebSocket handshakes, which
    /// go to `ws`: a GET with `Upgrade: websocket` (RFC 6455 §4.1) and, over HTTP/2, an
    /// extended CONNECT with `:protocol = websocket` (RFC 8441 §4), which HTTP/2
    /// connections then offer (SETTINGS_ENABLE_CONNECT_PROTOCOL). For a host that serves
    /// both kinds on any path, as an ASGI server does.
    pub fn try_route_and_ws(
        &mut self,
        route: &str,
        options: Option<WsOptions>,
        handler: impl Handler,
        ws: impl WsHandler,
    ) -> Result<&mut Self, RouteError> {
        let ws = Arc::new(WsRoute {
            handler: Arc::new(ws),
            options: options.map(Arc::new),
        });
        self.insert("GET", route, Route::Both(Arc::new(handler), ws))?;
        self.websockets = true;
        Ok(self)
    }

    /// Adds a hook run before routing. Returning `Some` answers the request
    /// without calling a handler (authentication, rate limits, redirects).
    pub fn before(
        &mut self,
        hook: impl Fn(&mut Request) -> Option<Response> + Send + Sync + 'static,
    ) -> &mut Self {
        self.before.push(Arc::new(hook));
        self
    }

    /// Adds a hook run on every response before it is sent (headers, access
    /// logs, metrics); it also sees 404s, 405s and `before` replies.
    pub fn after(
        &mut self,
        hook: impl Fn(&RequestInfo, &mut Response) + Send + Sync + 'static,
    ) -> &mut Self {
        self.after.push(Arc::new(hook));
        self
    }

    /// Runs the `before` hooks, then routes.
    pub(crate) fn route_request(&self, request: &mut Request) -> Routed {
        self.route_as(request, false)
    }

    /// Routes an extended CONNECT for `websocket` (RFC 8441 §4 over HTTP/2, RFC 9220 §3
    /// over HTTP/3), which stands for the GET of an HTTP/1.1 upgrade: a route that
    /// serves both kinds takes it as a WebSocket handshake, though it carries no
    /// `Upgrade` field.
    pub(crate) fn route_extended_connect(&self, request: &mut Request) -> Routed {
        self.route_as(request, true)
    }

    /// Runs the `before` hooks, then routes; `websocket`: the request is a WebSocket
    /// handshake whatever its fields say.
    fn route_as(&self, request: &mut Request, websocket: bool) -> Routed {
        for hook in &self.before {
            if let Some(answer) = hook(request) {
                return Routed::Answer(answer);
            }
        }
        let found = match self.routes.lookup(request.method(), request.path()) {
            router::Lookup::Found(found) => found,
            router::Lookup::MethodNotAllowed { allow } => {
                return Routed::Answer(
                    Response::status_page(405).with_header("allow", allow.to_string()),
                );
            }
            router::Lookup::NotFound {
                trailing_slash: Some(fix),
            } if matches!(request.method(), "GET" | "HEAD") => {
                return Routed::Answer(trailing_slash_redirect(request, fix));
            }
            router::Lookup::NotFound { .. } => {
                return Routed::Answer(Response::status_page(404));
            }
        };
        let mut params = Vec::with_capacity(found.params.len());
        for (name, raw) in found.params.iter() {
            match router::percent_decode(raw) {
                Ok(value) => params.push((name.to_owned(), value.into_owned())),
                Err(_) => return Routed::Answer(Response::status_page(400)),
            }
        }
        let routed = match found.value {
            Route::Http(handler) => Routed::Handler(Arc::clone(handler)),
            Route::WebSocket(route) => Routed::WebSocket(Arc::clone(route)),
            Route::Both(_, route) if websocket || wants_websocket(request) => {
                Routed::WebSocket(Arc::clone(route))
            }
            Route::Both(handler, _) => Routed::Handler(Arc::clone(handler)),
        };
        request.params = params;
        routed
    }

    /// Runs the `after` hooks.
    pub(crate) fn finish(&self, info: &RequestInfo, response: &mut Response) {
        for hook in &self.after {
            hook(info, response);
        }
    }

    /// Whether any `after` hook is installed (the drivers skip keeping
    /// [`RequestInfo`] when not).
    pub(crate) fn has_after_hooks(&self) -> bool {
        !self.after.is_empty()
    }

    /// Answers one request in-process, without a socket: routing, hooks and
    /// the handler. Useful in tests of an app.
    pub async fn call(&self, mut request: Request) -> Response {
        let info = RequestInfo::of(&request);
        let mut response = match self.route_request(&mut request) {
            Routed::Handler(handler) => handler.call(request).await,
            // No connection to upgrade.
            Routed::WebSocket(_) => Response::status_page(426),
            Routed::Answer(response) => response,
        };
        self.finish(&info, &mut response);
        response
    }
}

/// Polls a handler future, turning a panic into a 500 response (RFC 9110
/// §15.6.1): a bug in one handler must not take the connection's other
/// requests (HTTP/2) or the worker down with it.
pub(crate) fn poll_handler(
    future: &mut BoxFuture,
    cx: &mut std::task::Context<'_>,
) -> std::task::Poll<Response> {
    match crate::panic::poll_caught(|| future.as_mut().poll(cx)) {
        Ok(poll) => poll,
        Err(panic) => {
            tracing::error!(%panic, "handler panicked; answering 500");
            std::task::Poll::Ready(Response::status_page(500))
        }
    }
}

/// A 308 to the path with its final `/` added or removed, query kept
/// (RFC 9110 §15.4.9: the client repeats the same method).
///
/// Only GET and HEAD are redirected: for other methods a redirect would have the
/// client send the request (and its body) a second time to a URL it did not name,
/// and many clients do not follow a 308 on an unsafe method anyway, so they get the
/// plain 404.
///
/// A location that would start with `//` is answered 404 instead: browsers read it as
/// a scheme-relative URL naming another host (an open redirect).
fn trailing_slash_redirect(request: &Request, fix: router::TrailingSlash) -> Response {
    let path = request.path();
    let mut location = String::with_capacity(request.target().len() + 1);
    match fix {
        router::TrailingSlash::Add => {
            location.push_str(path);
            location.push('/');
        }
        router::TrailingSlash::Remove => {
            location.push_str(path.strip_suffix('/').unwrap_or(path));
        }
    }
    if location.starts_with("//") {
        return Response::status_page(404);
    }
    if let Some(query) = request.query() {
        location.push('?');
        location.push_str(query);
    }
    Response::status_page(308).with_header("location", location)
}

/// Whether `request` asks to switch to WebSocket: `websocket` among the `Upgrade` tokens
/// (RFC 6455 §4.1, RFC 9110 §7.8).
fn wants_websocket(request: &Request) -> bool {
    request.headers().iter().any(|(name, value)| {
        name.eq_ignore_ascii_case(b"upgrade")
            && value
                .split(|b| *b == b',')
                .any(|token| token.trim_ascii().eq_ignore_ascii_case(b"websocket"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Body, Headers};

    fn app() -> App {
        let mut app = App::new();
        app.get("/", |_req| async { Response::text("root") });
        app.post("/", |_req| async { Response::text("posted") });
        app.get("/users/{id}", |req: Request| async move {
            Response::text(format!("user {}", req.param("id").unwrap_or("")))
        });
        app.delete("/users/{id}", |_req| async { Response::new(204) });
        app.get("/files/{*path}", |req: Request| async move {
            Response::text(req.param("path").unwrap_or("").to_owned())
        });
        app
    }

    fn call(app: &App, method: &str, target: &str) -> Response {
        smol::block_on(app.call(Request::new(method, target, Headers::new(), Body::empty())))
    }

    fn body(r: &Response) -> &[u8] {
        match r.body() {
            crate::ResponseBody::Full(b) => b,
            _ => b"",
        }
    }

    #[test]
    fn routes_methods_and_params() {
        let app = app();
        assert_eq!(body(&call(&app, "GET", "/")), b"root");
        assert_eq!(body(&call(&app, "POST", "/")), b"posted");
        assert_eq!(body(&call(&app, "GET", "/users/42?x=1")), b"user 42");
        assert_eq!(body(&call(&app, "GET", "/users/a%20b")), b"user a b");
        assert_eq!(body(&call(&app, "GET", "/files/a/b%2Fc")), b"a/b/c");
        assert_eq!(call(&app, "DELETE", "/users/1").status(), 204);
    }

    #[test]
    fn not_found_method_not_allowed_and_head() {
        let app = app();
        assert_eq!(call(&app, "GET", "/nope").status(), 404);
        let r = call(&app, "PUT", "/users/1");
        assert_eq!(r.status(), 405);
        assert_eq!(r.headers().get_str("allow"), Some("DELETE, GET, HEAD"));
        assert_eq!(body(&call(&app, "HEAD", "/users/9")), b"user 9");
        assert_eq!(call(&app, "GET", "/users/%zz").status(), 400);
    }

    #[test]
    fn trailing_slash_misses_redirect_get_and_head_only() {
        let mut app = app();
        app.get("/docs/", |_req| async { Response::text("docs") });
        app.post("/submit", |_req| async { Response::text("ok") });

        let r = call(&app, "GET", "/users/7/?page=2");
        assert_eq!(r.status(), 308);
        assert_eq!(r.headers().get_str("location"), Some("/users/7?page=2"));
        let r = call(&app, "HEAD", "/docs");
        assert_eq!(r.status(), 308);
        assert_eq!(r.headers().get_str("location"), Some("/docs/"));
        // The redirect target answers.
        assert_eq!(body(&call(&app, "GET", "/docs/")), b"docs");
        // Not for unsafe methods: the client would send the body again elsewhere.
        assert_eq!(call(&app, "POST", "/submit/").status(), 404);
        // Nor when the other spelling does not answer the method.
        assert_eq!(call(&app, "GET", "/submit/").status(), 404);
    }

    #[test]
    fn trailing_slash_redirect_never_names_another_host() {
        let mut app = App::new();
        app.get("//evil.example/", |_req| async { Response::text("odd") });
        assert_eq!(body(&call(&app, "GET", "//evil.example/")), b"odd");
        // "//evil.example/" would be a scheme-relative URL: no redirect to it.
        let r = call(&app, "GET", "//evil.example");
        assert_eq!(r.status(), 404, "{:?}", r.headers().get_str("location"));
    }

    #[test]
    fn duplicates_and_bad_methods_are_refused() {
        let mut app = app();
        assert!(matches!(
            app.try_route("GET", "/users/{id}", |_req| async { Response::new(200) }),
            Err(RouteError::Duplicate { .. })
        ));
        assert!(matches!(
            app.try_route("G T", "/x", |_req| async { Response::new(200) }),
            Err(RouteError::Method(_))
        ));
        assert!(
            app.try_route("PATCH", "/users/{id}", |_req| async { Response::new(200) })
                .is_ok()
        );
    }

    #[test]
    fn hooks_run_around_handlers() {
        let mut app = app();
        app.before(|req| (req.path() == "/blocked").then(|| Response::status_page(403)));
        app.after(|info, res| {
            res.headers_mut()
                .append("x-method", info.method().to_owned());
        });
        let r = call(&app, "GET", "/blocked");
        assert_eq!(r.status(), 403);
        assert_eq!(r.headers().get_str("x-method"), Some("GET"));
        let r = call(&app, "GET", "/nope");
        assert_eq!(r.headers().get_str("x-method"), Some("GET"));
    }
}
