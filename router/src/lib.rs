//! A path router over a compressed trie, correct where the fast routers are not.
//!
//! ```
//! let mut router = router::Router::new();
//! router.insert("/repos/{owner}/{repo}/issues", "issues").unwrap();
//! router.insert("/repos/{owner}/settings/hooks", "hooks").unwrap();
//! router.insert("/static/{*path}", "files").unwrap();
//!
//! let m = router.at("/repos/octo/settings/issues").unwrap();
//! assert_eq!(*m.value, "issues");
//! assert_eq!(m.params.get("owner"), Some("octo"));
//! assert_eq!(m.params.get("repo"), Some("settings"));
//! assert_eq!(router.at("/static/css/site.css").unwrap().params.get("path"), Some("css/site.css"));
//! ```
//!
//! # Route syntax
//!
//! * `{name}`: a parameter. It matches a **non-empty** run of bytes up to the next `/`
//!   (RFC 3986 §3.3 segment) or the end of the path. It may have a static prefix and/or
//!   suffix inside its segment (`/v{version}/items`, `/{name}.json`, `/img-{id}.png`); at
//!   most one parameter per segment.
//! * `{*name}`: a catch-all. It ends the route and matches the **non-empty** rest of the
//!   path, `/` included (`/files/{*p}` does not match `/files/`).
//! * `{{` and `}}` are a literal `{` and `}`.
//!
//! # Priority
//!
//! Where several routes match, the one that is more static earlier wins: at each byte
//! position a static byte beats a parameter, a parameter beats a catch-all; among the
//! suffixes a parameter can end with, the longest is tried first and the plain `{name}`
//! last. Backtracking is complete: when the preferred branch fails anywhere deeper, the
//! lookup returns to the most recent choice point and tries its next alternative,
//! keeping the values captured above that point. So `/{name}.png/x` and `/{name}/y` give
//! `/a.png/y` to the second route with `name = "a.png"`, and a static edge that fails in
//! the middle (`/ab/c` against `/abc/d`) falls back to the parameter beside it.
//!
//! # Conflicts
//!
//! Two routes conflict only when they have the same shape: the same static bytes with
//! parameters, suffixes and catch-alls in the same places, whatever their names
//! (`/users/{id}` and `/users/{name}`). Every other set of routes is accepted, so whether
//! a set is accepted never depends on the order of insertion. `/files/{*path}` and
//! `/files/{name}` coexist (the parameter is tried first), as do `/{*all}` and `/{p}/y`.
//!
//! # Cost
//!
//! A lookup allocates nothing unless a route has more than four parameters; backtracking
//! never does. The first lookup after an `insert` or `remove` builds the table lookups
//! run on, once: one step per path segment, static segments found whole by hashing.
//! Values are slices of the raw path; [`percent_decode`] decodes one when the caller
//! wants it decoded.
//!
//! Limits: a router holds at most 16 MiB of route text and 2^20 route segments (the
//! table costs a few hundred bytes per segment at worst, `////…` included)
//! ([`InsertError::TooLarge`]), and a path longer than 4 GiB never matches (positions
//! are 32-bit).
//!
//! The HTTP-facing layer, [`MethodRouter`] over [`Methods`], adds 405 with an `Allow`
//! list, HEAD served by GET, and a trailing-slash hint on a miss, without depending on
//! an HTTP crate.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod decode;
mod error;
mod lookup;
mod methods;
mod params;
mod template;
mod tree;

pub use decode::percent_decode;
pub use error::{DecodeError, InsertError, MatchError};
pub use methods::{Allow, Lookup, MethodMatch, MethodRouter, Methods, TrailingSlash};
pub use params::Params;

use std::sync::OnceLock;

use lookup::{MAX_ROUTE_BYTES, MAX_ROUTE_SEGMENTS, Table};
use params::SmallStack;
use template::Template;
use tree::Node;

/// A map from route templates to values of type `T`.
///
/// See the [crate documentation](crate) for the syntax, the priority rules and what
/// conflicts.
#[derive(Debug, Clone)]
pub struct Router<T> {
    root: Node,
    /// The values by slot number; the tree stores slot numbers only.
    slots: Vec<Option<Slot<T>>>,
    /// Slot numbers freed by `remove`, reused by `insert`.
    free: Vec<usize>,
    /// Total length of the routes held, kept below `MAX_ROUTE_BYTES`.
    route_bytes: usize,
    /// Total number of segments of the routes held, kept below `MAX_ROUTE_SEGMENTS`.
    route_segments: usize,
    /// The flat copy lookups run on, built from `root` on the first lookup after a change.
    lookup: OnceLock<Table>,
}

#[derive(Debug, Clone)]
struct Slot<T> {
    value: T,
    /// The route exactly as given to `insert`, for conflict errors and `remove`.
    route: Box<str>,
    /// Parameter names in capture order.
    names: Box<[Box<str>]>,
}

/// A successful lookup: the route's value and the parameters it captured.
#[derive(Debug)]
pub struct Match<'r, 'p, V> {
    /// The value stored with the route (`&T` from [`Router::at`], `&mut T` from
    /// [`Router::at_mut`]).
    pub value: V,
    /// The parameters captured from the path.
    pub params: Params<'r, 'p>,
}

impl<T> Default for Router<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Router<T> {
    /// An empty router.
    pub fn new() -> Self {
        Self {
            root: Node::default(),
            slots: Vec::new(),
            free: Vec::new(),
            route_bytes: 0,
            route_segments: 0,
            lookup: OnceLock::new(),
        }
    }

    /// Adds `route` with its value.
    ///
    /// Refuses a malformed route and a route of the same shape as one already present
    /// ([`InsertError::Conflict`] names both); the router is unchanged on error.
    pub fn insert(&mut self, route: &str, value: T) -> Result<(), InsertError> {
        let template = Template::parse(route)?;
        if self.route_bytes + route.len() > MAX_ROUTE_BYTES
            || self.route_segments + segments(route) > MAX_ROUTE_SEGMENTS
        {
            return Err(InsertError::TooLarge {
                route: route.into(),
            });
        }
        self.lookup = OnceLock::new();
        let place = self.root.place_mut(&template.pieces);
        if let Some(existing) = *place {
            let existing = self
                .slots
                .get(existing)
                .and_then(Option::as_ref)
                .map_or_else(String::new, |slot| slot.route.to_string());
            return Err(InsertError::Conflict {
                route: route.into(),
                existing,
            });
        }
        let slot = Slot {
            value,
            route: route.into(),
            names: template.names.into_boxed_slice(),
        };
        let index = match self.free.pop() {
            Some(index) => {
                self.slots[index] = Some(slot);
                index
            }
            None => {
                self.slots.push(Some(slot));
                self.slots.len() - 1
            }
        };
        *place = Some(index);
        self.route_bytes += route.len();
        self.route_segments += segments(route);
        Ok(())
    }

    /// The value of the route that matches `path`, with the captured parameters.
    ///
    /// `path` is the raw path (no query); it is not decoded.
    pub fn at<'p>(&self, path: &'p str) -> Result<Match<'_, 'p, &T>, MatchError> {
        let mut values = SmallStack::new((0, 0));
        let table = self.lookup.get_or_init(|| Table::build(&self.root));
        let index = table.find(path, &mut values).ok_or(MatchError::NotFound)?;
        let slot = self
            .slots
            .get(index)
            .and_then(Option::as_ref)
            .ok_or(MatchError::NotFound)?;
        Ok(Match {
            value: &slot.value,
            params: Params {
                names: &slot.names,
                path,
                values,
            },
        })
    }

    /// Like [`Router::at`], with mutable access to the value.
    pub fn at_mut<'p>(&mut self, path: &'p str) -> Result<Match<'_, 'p, &mut T>, MatchError> {
        let mut values = SmallStack::new((0, 0));
        let table = self.lookup.get_or_init(|| Table::build(&self.root));
        let index = table.find(path, &mut values).ok_or(MatchError::NotFound)?;
        let slot = self
            .slots
            .get_mut(index)
            .and_then(Option::as_mut)
            .ok_or(MatchError::NotFound)?;
        Ok(Match {
            value: &mut slot.value,
            params: Params {
                names: &slot.names,
                path,
                values,
            },
        })
    }

    /// Removes `route` and returns its value.
    ///
    /// `route` must be spelled exactly as it was inserted, parameter names included;
    /// otherwise nothing is removed.
    pub fn remove(&mut self, route: &str) -> Option<T> {
        let template = Template::parse(route).ok()?;
        let place = self.root.find_place_mut(&template.pieces)?;
        let index = (*place)?;
        if self.slots.get(index)?.as_ref()?.route.as_ref() != route {
            return None;
        }
        *place = None;
        let slot = self.slots.get_mut(index)?.take()?;
        self.free.push(index);
        self.route_bytes -= route.len();
        self.route_segments -= segments(route);
        self.root.compact();
        self.lookup = OnceLock::new();
        Some(slot.value)
    }

    /// How many routes the router holds.
    pub fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    /// Whether the router holds no route.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The routes and their values, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.slots
            .iter()
            .flatten()
            .map(|slot| (&*slot.route, &slot.value))
    }
}

/// The segments of a route: what the lookup table costs a state and a step for.
fn segments(route: &str) -> usize {
    route.bytes().filter(|&b| b == b'/').count() + 1
}
