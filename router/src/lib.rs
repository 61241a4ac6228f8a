#![doc = include_str!("../README.md")]
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
