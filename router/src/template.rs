//! Parsing a route template (`/users/{id}/files/{*rest}`) into the pieces the tree stores.

use crate::InsertError;

/// One piece of a parsed route, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// Literal bytes, escapes already resolved (`{{` became `{`).
    Static(Vec<u8>),
    /// `{name}`, capturing a non-empty value up to the end of its segment minus `suffix`.
    Param { suffix: Vec<u8> },
    /// `{*name}`, capturing the non-empty rest of the path.
    CatchAll,
}

/// A route split into pieces plus its parameter names in capture order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    pub(crate) pieces: Vec<Piece>,
    pub(crate) names: Vec<Box<str>>,
}

impl Template {
    /// Parses `route`. Syntax: `{name}` is a parameter (at most one per segment, with any
    /// static prefix and suffix inside the segment), `{*name}` a catch-all that must end
    /// the route, `{{` and `}}` literal braces.
    pub(crate) fn parse(route: &str) -> Result<Self, InsertError> {
        let bytes = route.as_bytes();
        let mut pieces = Vec::new();
        let mut names: Vec<Box<str>> = Vec::new();
        let mut literal = Vec::new();
        // Static bytes after a parameter, up to the next `/`, are that parameter's suffix.
        let mut in_suffix = false;
        let mut param_in_segment = false;
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'{' if bytes.get(i + 1) == Some(&b'{') => {
                    literal.push(b'{');
                    i += 2;
                }
                b'}' if bytes.get(i + 1) == Some(&b'}') => {
                    literal.push(b'}');
                    i += 2;
                }
                b'}' => {
                    return Err(InsertError::UnbalancedBrace {
                        route: route.into(),
                    });
                }
                b'{' => {
                    let Some((inner, close, lone_open)) = param_name(route, i + 1) else {
                        return Err(InsertError::UnbalancedBrace {
                            route: route.into(),
                        });
                    };
                    let inner = inner.as_str();
                    if param_in_segment {
                        return Err(InsertError::TooManyParamsInSegment {
                            route: route.into(),
                        });
                    }
                    let (name, catch_all) = match inner.strip_prefix('*') {
                        Some(name) => (name, true),
                        None => (inner, false),
                    };
                    if name.is_empty() || lone_open || name.contains(['/', '*']) {
                        return Err(InsertError::InvalidParamName {
                            route: route.into(),
                        });
                    }
                    if names.iter().any(|n| **n == *name) {
                        return Err(InsertError::DuplicateParamName {
                            route: route.into(),
                            name: name.into(),
                        });
                    }
                    names.push(name.into());
                    flush(&mut pieces, &mut literal, in_suffix);
                    if catch_all {
                        if close + 1 != bytes.len() {
                            return Err(InsertError::CatchAllNotLast {
                                route: route.into(),
                            });
                        }
                        pieces.push(Piece::CatchAll);
                    } else {
                        pieces.push(Piece::Param { suffix: Vec::new() });
                        in_suffix = true;
                        param_in_segment = true;
                    }
                    i = close + 1;
                }
                b'/' => {
                    flush(&mut pieces, &mut literal, in_suffix);
                    in_suffix = false;
                    param_in_segment = false;
                    literal.push(b'/');
                    i += 1;
                }
                _ => {
                    literal.push(b);
                    i += 1;
                }
            }
        }
        flush(&mut pieces, &mut literal, in_suffix);
        Ok(Self { pieces, names })
    }
}

/// Reads a parameter name starting at `start` (just after its `{`) up to the closing
/// `}`, resolving `{{` and `}}` inside it as matchit does (`{ba{{r}` is named `ba{r`).
/// Returns the name, the index of the closing brace and whether the name held a lone
/// `{`; `None` if it is never closed.
fn param_name(route: &str, start: usize) -> Option<(String, usize, bool)> {
    let bytes = route.as_bytes();
    let mut name = Vec::new();
    let mut lone_open = false;
    let mut j = start;
    loop {
        match *bytes.get(j)? {
            b'}' if bytes.get(j + 1) == Some(&b'}') => {
                name.push(b'}');
                j += 2;
            }
            b'{' if bytes.get(j + 1) == Some(&b'{') => {
                name.push(b'{');
                j += 2;
            }
            b'}' => break,
            b => {
                lone_open |= b == b'{';
                name.push(b);
                j += 1;
            }
        }
    }
    // Only ASCII braces were replaced, so the bytes are still UTF-8.
    Some((String::from_utf8(name).ok()?, j, lone_open))
}

/// Moves the pending literal bytes into the last parameter's suffix or a static piece.
fn flush(pieces: &mut Vec<Piece>, literal: &mut Vec<u8>, in_suffix: bool) {
    if literal.is_empty() {
        return;
    }
    if in_suffix && let Some(Piece::Param { suffix }) = pieces.last_mut() {
        suffix.append(literal);
        return;
    }
    match pieces.last_mut() {
        Some(Piece::Static(bytes)) => bytes.append(literal),
        _ => pieces.push(Piece::Static(std::mem::take(literal))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(route: &str) -> Vec<Piece> {
        Template::parse(route).unwrap().pieces
    }

    #[test]
    fn splits_statics_params_suffixes_and_catch_alls() {
        use Piece::*;
        assert_eq!(pieces("/a/b"), [Static(b"/a/b".to_vec())]);
        assert_eq!(
            pieces("/u/{id}/x"),
            [
                Static(b"/u/".to_vec()),
                Param { suffix: vec![] },
                Static(b"/x".to_vec())
            ]
        );
        assert_eq!(
            pieces("/img-{id}.png/{*rest}"),
            [
                Static(b"/img-".to_vec()),
                Param {
                    suffix: b".png".to_vec()
                },
                Static(b"/".to_vec()),
                CatchAll
            ]
        );
        assert_eq!(
            pieces("/{{x}}/{a}{{"),
            [
                Static(b"/{x}/".to_vec()),
                Param {
                    suffix: b"{".to_vec()
                }
            ]
        );
        assert_eq!(pieces("{a}"), [Param { suffix: vec![] }]);
        assert_eq!(pieces(""), []);
        assert_eq!(
            Template::parse("/{a}/{*b}").unwrap().names,
            ["a".into(), "b".into()] as [Box<str>; 2]
        );
    }

    #[test]
    fn refuses_malformed_routes() {
        let err = |r: &str| Template::parse(r).unwrap_err();
        assert!(matches!(err("/{"), InsertError::UnbalancedBrace { .. }));
        assert!(matches!(err("/}"), InsertError::UnbalancedBrace { .. }));
        assert!(matches!(err("/{a"), InsertError::UnbalancedBrace { .. }));
        assert!(matches!(err("/{}"), InsertError::InvalidParamName { .. }));
        assert!(matches!(err("/{*}"), InsertError::InvalidParamName { .. }));
        assert!(matches!(
            err("/{a{b}"),
            InsertError::InvalidParamName { .. }
        ));
        assert!(matches!(err("/{a*}"), InsertError::InvalidParamName { .. }));
        assert!(matches!(
            err("/{a}-{b}"),
            InsertError::TooManyParamsInSegment { .. }
        ));
        assert!(matches!(
            err("/{a}{*b}"),
            InsertError::TooManyParamsInSegment { .. }
        ));
        assert!(matches!(
            err("/{*a}/x"),
            InsertError::CatchAllNotLast { .. }
        ));
        assert!(matches!(
            err("/{a}/{a}"),
            InsertError::DuplicateParamName { .. }
        ));
    }
}
