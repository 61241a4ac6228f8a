//! The errors of each API surface: inserting a route, matching a path, decoding a value.

/// Why [`Router::insert`](crate::Router::insert) refused a route.
///
/// Whether a route is refused never depends on the order the routes were inserted in:
/// the only conflict is two routes of the same shape (the same static bytes, parameters
/// and catch-alls in the same places, whatever the parameter names).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InsertError {
    /// The route has the same shape as a route already in the router, so no path could
    /// ever tell them apart (`/users/{id}` and `/users/{name}`).
    #[error("route `{route}` conflicts with the route `{existing}` already inserted")]
    Conflict {
        /// The route that was refused, as given to `insert`.
        route: String,
        /// The route already in the router, as it was given to `insert`.
        existing: String,
    },
    /// A `{` or `}` that is neither part of a parameter nor escaped as `{{` / `}}`.
    #[error("route `{route}`: unbalanced brace (write `{{{{` or `}}}}` for a literal brace)")]
    UnbalancedBrace {
        /// The route that was refused.
        route: String,
    },
    /// A parameter name that is empty or holds `{`, `}`, `/` or `*` (`{}`, `{a/b}`, `{*}`).
    #[error("route `{route}`: invalid parameter name")]
    InvalidParamName {
        /// The route that was refused.
        route: String,
    },
    /// Two parameters in one segment (`/{a}-{b}`, `/{a}.{*rest}`): the boundary between
    /// them would be ambiguous.
    #[error("route `{route}`: only one parameter is allowed per path segment")]
    TooManyParamsInSegment {
        /// The route that was refused.
        route: String,
    },
    /// A catch-all `{*name}` that is not the last thing in the route.
    #[error("route `{route}`: a catch-all must end the route")]
    CatchAllNotLast {
        /// The route that was refused.
        route: String,
    },
    /// The router already holds 16 MiB of routes (offsets in its lookup table are 32-bit)
    /// or 2^20 route segments (its lookup table costs memory per segment).
    #[error("route `{route}`: the router is full")]
    TooLarge {
        /// The route that was refused.
        route: String,
    },
    /// The same parameter name twice in one route (`/{id}/x/{id}`).
    #[error("route `{route}`: parameter name `{name}` is used twice")]
    DuplicateParamName {
        /// The route that was refused.
        route: String,
        /// The name used twice.
        name: String,
    },
}

/// Why [`Router::at`](crate::Router::at) found no route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MatchError {
    /// No route matches the path (HTTP 404, RFC 9110 §15.5.5).
    #[error("no route matches the path")]
    NotFound,
}

/// Why [`percent_decode`](crate::percent_decode) refused a value (RFC 3986 §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// A `%` not followed by two hexadecimal digits, at this byte offset.
    #[error("invalid percent-escape at byte {offset}")]
    InvalidEscape {
        /// Byte offset of the `%` in the input.
        offset: usize,
    },
    /// The decoded bytes are not UTF-8.
    #[error("percent-decoded value is not valid UTF-8")]
    InvalidUtf8,
}
