//! A deliberately naive reference router: a list of routes scanned linearly.
//!
//! It shares no code with the crate. Each route is a token list (one token per static
//! byte, one per parameter with its suffix, one for a catch-all); a route matches a path
//! deterministically (a parameter always runs to the end of its segment), and among the
//! routes that match, the winner is the least in token order, compared token by token:
//! static byte < parameter (longer suffix first) < catch-all. That is the documented
//! priority of the trie ("more static earlier wins", with complete backtracking), stated
//! without a trie. Used by the model-based proptest and by the fuzz target.

#![allow(dead_code, unreachable_pub)]

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Byte(u8),
    Param(Vec<u8>),
    CatchAll,
}

impl Token {
    fn rank(&self) -> u8 {
        match self {
            Token::Byte(_) => 0,
            Token::Param(_) => 1,
            Token::CatchAll => 2,
        }
    }

    fn priority(&self, other: &Token) -> Ordering {
        match (self, other) {
            (Token::Byte(a), Token::Byte(b)) => a.cmp(b),
            (Token::Param(a), Token::Param(b)) => b.len().cmp(&a.len()).then_with(|| a.cmp(b)),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Route {
    pub text: String,
    pub tokens: Vec<Token>,
    pub names: Vec<String>,
}

/// Why the reference refuses a route; only "refused or not" and the conflicting route are
/// compared with the crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Malformed,
    Conflict(String),
}

/// Parses the route syntax: `{name}`, `{*name}` last, `{{` / `}}`, one wildcard per segment.
pub fn parse(text: &str) -> Option<Route> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut wildcard_in_segment = false;
    let mut i = 0;
    let push_static = |tokens: &mut Vec<Token>, c: char| {
        let mut buf = [0; 4];
        for &b in c.encode_utf8(&mut buf).as_bytes() {
            // After a parameter, static bytes up to the next '/' are its suffix.
            match tokens.last_mut() {
                Some(Token::Param(suffix)) if b != b'/' && !suffix.contains(&b'/') => {
                    suffix.push(b)
                }
                _ => tokens.push(Token::Byte(b)),
            }
        }
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if (c == '{' && next == Some('{')) || (c == '}' && next == Some('}')) {
            push_static(&mut tokens, c);
            i += 2;
        } else if c == '}' {
            return None;
        } else if c == '{' {
            // The name runs to the first single `}`; `{{` and `}}` inside it are escapes.
            let mut inner = String::new();
            let mut j = i + 1;
            let close = loop {
                match (chars.get(j).copied()?, chars.get(j + 1).copied()) {
                    ('}', Some('}')) | ('{', Some('{')) => {
                        inner.push(chars[j]);
                        j += 2;
                    }
                    ('}', _) => break j,
                    ('{', _) => return None,
                    (c, _) => {
                        inner.push(c);
                        j += 1;
                    }
                }
            };
            if wildcard_in_segment {
                return None;
            }
            let (name, catch_all) = match inner.strip_prefix('*') {
                Some(n) => (n.to_owned(), true),
                None => (inner.clone(), false),
            };
            if name.is_empty() || name.chars().any(|c| "/*".contains(c)) || names.contains(&name) {
                return None;
            }
            if catch_all && close + 1 != chars.len() {
                return None;
            }
            names.push(name);
            tokens.push(if catch_all {
                Token::CatchAll
            } else {
                Token::Param(Vec::new())
            });
            wildcard_in_segment = true;
            i = close + 1;
        } else {
            if c == '/' {
                wildcard_in_segment = false;
                // A '/' closes a parameter's suffix: mark it by pushing a plain byte.
                tokens.push(Token::Byte(b'/'));
            } else {
                push_static(&mut tokens, c);
            }
            i += 1;
        }
    }
    Some(Route {
        text: text.to_owned(),
        tokens,
        names,
    })
}

impl Route {
    /// The captured values if the route matches `path`.
    pub fn matches<'p>(&self, path: &'p str) -> Option<Vec<&'p str>> {
        let bytes = path.as_bytes();
        let mut pos = 0;
        let mut values = Vec::new();
        for token in &self.tokens {
            match token {
                Token::Byte(b) => {
                    if bytes.get(pos) != Some(b) {
                        return None;
                    }
                    pos += 1;
                }
                Token::Param(suffix) => {
                    let end = bytes[pos..]
                        .iter()
                        .position(|&b| b == b'/')
                        .map_or(bytes.len(), |i| pos + i);
                    let segment = &bytes[pos..end];
                    if segment.len() <= suffix.len() || !segment.ends_with(suffix) {
                        return None;
                    }
                    values.push(path.get(pos..end - suffix.len())?);
                    pos = end;
                }
                Token::CatchAll => {
                    if pos >= bytes.len() {
                        return None;
                    }
                    values.push(path.get(pos..)?);
                    pos = bytes.len();
                }
            }
        }
        (pos == bytes.len()).then_some(values)
    }

    fn priority(&self, other: &Route) -> Ordering {
        for (a, b) in self.tokens.iter().zip(&other.tokens) {
            let order = a.priority(b);
            if order != Ordering::Equal {
                return order;
            }
        }
        self.tokens.len().cmp(&other.tokens.len())
    }
}

#[derive(Debug, Default, Clone)]
pub struct Reference {
    pub routes: Vec<Route>,
}

impl Reference {
    pub fn insert(&mut self, text: &str) -> Result<(), Refusal> {
        let route = parse(text).ok_or(Refusal::Malformed)?;
        if let Some(existing) = self.routes.iter().find(|r| r.tokens == route.tokens) {
            return Err(Refusal::Conflict(existing.text.clone()));
        }
        self.routes.push(route);
        Ok(())
    }

    pub fn remove(&mut self, text: &str) -> bool {
        let before = self.routes.len();
        self.routes.retain(|r| r.text != text);
        before != self.routes.len()
    }

    /// The winning route and its `(name, value)` pairs.
    pub fn at<'p>(&self, path: &'p str) -> Option<(&str, Vec<(&str, &'p str)>)> {
        self.routes
            .iter()
            .filter_map(|r| r.matches(path).map(|values| (r, values)))
            .min_by(|(a, _), (b, _)| a.priority(b))
            .map(|(r, values)| {
                (
                    r.text.as_str(),
                    r.names.iter().map(String::as_str).zip(values).collect(),
                )
            })
    }
}
