//! The HTTP-facing layer: a method table per route, 405 with `Allow`, HEAD served by GET
//! and a trailing-slash hint on a miss. Methods are plain strings, compared exactly
//! (method names are case-sensitive, RFC 9110 §9.1), so no HTTP crate is needed.

use std::fmt;

use crate::template::Template;
use crate::{InsertError, Match, Router};

/// The values of one route, by request method.
#[derive(Debug, Clone)]
pub struct Methods<T> {
    /// Sorted by method name, so `Allow` lists come out in a stable order.
    entries: Vec<(Box<str>, T)>,
}

impl<T> Default for Methods<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// The answer of [`Methods::get`].
#[derive(Debug)]
pub enum MethodMatch<'a, T> {
    /// The value for the method (for HEAD, the GET value when there is no HEAD entry).
    Found(&'a T),
    /// The route exists but not for this method: answer 405 with this `Allow` list
    /// (RFC 9110 §15.5.6).
    MethodNotAllowed(Allow<'a, T>),
}

impl<T> Methods<T> {
    /// An empty table.
    pub fn new() -> Self {
        Self {
            entries: Vec::new(),
        }
    }

    /// Sets the value for `method` and returns the value it replaces, if any.
    pub fn insert(&mut self, method: &str, value: T) -> Option<T> {
        match self.entries.binary_search_by(|(m, _)| (**m).cmp(method)) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (method.into(), value));
                None
            }
        }
    }

    /// Removes the value for `method`.
    pub fn remove(&mut self, method: &str) -> Option<T> {
        let i = self
            .entries
            .binary_search_by(|(m, _)| (**m).cmp(method))
            .ok()?;
        Some(self.entries.remove(i).1)
    }

    /// Whether no method has a value.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The value registered for exactly `method` (no HEAD fallback).
    pub fn get_exact(&self, method: &str) -> Option<&T> {
        // Method names are a few bytes: compare inline rather than through `memcmp`.
        let same =
            |m: &str| m.len() == method.len() && m.bytes().zip(method.bytes()).all(|(a, b)| a == b);
        self.entries.iter().find(|(m, _)| same(m)).map(|(_, v)| v)
    }

    /// The value for `method`; HEAD falls back to GET when HEAD has no value of its own
    /// (RFC 9110 §9.3.2: HEAD is GET without the content).
    pub fn get(&self, method: &str) -> MethodMatch<'_, T> {
        let found = self.get_exact(method).or_else(|| {
            if method == "HEAD" {
                self.get_exact("GET")
            } else {
                None
            }
        });
        match found {
            Some(value) => MethodMatch::Found(value),
            None => MethodMatch::MethodNotAllowed(Allow { methods: self }),
        }
    }

    /// The methods this route answers, for an `Allow` header.
    pub fn allow(&self) -> Allow<'_, T> {
        Allow { methods: self }
    }
}

/// The methods a route answers (RFC 9110 §10.2.1), HEAD included when GET is there.
/// `Display` writes the `Allow` field value: `GET, HEAD, POST`.
pub struct Allow<'a, T> {
    methods: &'a Methods<T>,
}

impl<T> Clone for Allow<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Allow<'_, T> {}

impl<'a, T> Allow<'a, T> {
    /// The method names in byte order, with HEAD added when GET is present.
    pub fn iter(&self) -> impl Iterator<Item = &'a str> + 'a {
        let entries = &self.methods.entries;
        let implied_head =
            self.methods.get_exact("GET").is_some() && self.methods.get_exact("HEAD").is_none();
        let head_at = entries.partition_point(|(m, _)| **m < *"HEAD");
        let before = entries[..head_at].iter().map(|(m, _)| &**m);
        let after = entries[head_at..].iter().map(|(m, _)| &**m);
        before.chain(implied_head.then_some("HEAD")).chain(after)
    }
}

impl<T> fmt::Display for Allow<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, method) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(method)?;
        }
        Ok(())
    }
}

impl<T> fmt::Debug for Allow<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Where a missed path would match if its final `/` were added or removed, so a server
/// can redirect (RFC 9110 §15.4.2 / §15.4.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrailingSlash {
    /// The path plus a final `/` matches.
    Add,
    /// The path without its final `/` matches.
    Remove,
}

/// The answer of [`MethodRouter::lookup`].
#[derive(Debug)]
pub enum Lookup<'r, 'p, T> {
    /// A route matches the path and answers the method.
    Found(Match<'r, 'p, &'r T>),
    /// A route matches the path but not for this method: 405 with `allow`.
    MethodNotAllowed {
        /// The methods the route answers, for the `Allow` header.
        allow: Allow<'r, T>,
    },
    /// No route matches the path: 404, or a redirect when `trailing_slash` is set.
    NotFound {
        /// Set when the path with a final `/` added or removed would be found under
        /// the same method.
        trailing_slash: Option<TrailingSlash>,
    },
}

/// A [`Router`] whose routes hold a [`Methods`] table: method-aware lookup.
#[derive(Debug, Clone)]
pub struct MethodRouter<T> {
    router: Router<Methods<T>>,
}

impl<T> Default for MethodRouter<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> MethodRouter<T> {
    /// An empty router.
    pub fn new() -> Self {
        Self {
            router: Router::new(),
        }
    }

    /// Adds `value` for `method` on `route`.
    ///
    /// Several methods share a route only when it is spelled the same way; the same shape
    /// with other parameter names is a [`InsertError::Conflict`], as is a method added
    /// twice to one route.
    pub fn insert(&mut self, method: &str, route: &str, value: T) -> Result<(), InsertError> {
        let template = Template::parse(route)?;
        match self.router.shape_mut(&template) {
            Some((existing, methods)) => {
                if existing != route || methods.get_exact(method).is_some() {
                    return Err(InsertError::Conflict {
                        route: format!("{method} {route}"),
                        existing: format!("{method} {existing}"),
                    });
                }
                methods.insert(method, value);
                Ok(())
            }
            None => {
                let mut methods = Methods::new();
                methods.insert(method, value);
                self.router.insert(route, methods)
            }
        }
    }

    /// Removes the value for `method` on `route` (spelled as inserted).
    pub fn remove(&mut self, method: &str, route: &str) -> Option<T> {
        let template = Template::parse(route).ok()?;
        let (existing, methods) = self.router.shape_mut(&template)?;
        if existing != route {
            return None;
        }
        let value = methods.remove(method)?;
        if methods.is_empty() {
            self.router.remove(route);
        }
        Some(value)
    }

    /// The underlying path router.
    pub fn router(&self) -> &Router<Methods<T>> {
        &self.router
    }

    /// Looks up `method` on `path`.
    ///
    /// Allocates only on a miss, to test the path with a final `/` added.
    pub fn lookup<'r, 'p>(&'r self, method: &str, path: &'p str) -> Lookup<'r, 'p, T> {
        match self.router.at(path) {
            Ok(Match {
                value: methods,
                params,
            }) => match methods.get(method) {
                MethodMatch::Found(value) => Lookup::Found(Match { value, params }),
                MethodMatch::MethodNotAllowed(allow) => Lookup::MethodNotAllowed { allow },
            },
            Err(_) => Lookup::NotFound {
                trailing_slash: self.trailing_slash(method, path),
            },
        }
    }

    fn trailing_slash(&self, method: &str, path: &str) -> Option<TrailingSlash> {
        let answers = |candidate: &str| {
            self.router
                .at(candidate)
                .is_ok_and(|m| matches!(m.value.get(method), MethodMatch::Found(_)))
        };
        match path.strip_suffix('/') {
            Some(without) if !without.is_empty() => {
                answers(without).then_some(TrailingSlash::Remove)
            }
            Some(_) => None,
            None => answers(&format!("{path}/")).then_some(TrailingSlash::Add),
        }
    }
}

impl<T> Router<T> {
    /// The value and spelling of the route with the same shape as `template`, if any.
    pub(crate) fn shape_mut(&mut self, template: &Template) -> Option<(&str, &mut T)> {
        let index = (*self.root.find_place_mut(&template.pieces)?)?;
        let slot = self.slots.get_mut(index)?.as_mut()?;
        Some((&slot.route, &mut slot.value))
    }
}
