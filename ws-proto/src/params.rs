//! The field grammar the handshake needs: comma-separated token lists (RFC 9110 §5.6.1)
//! and the `Sec-WebSocket-Extensions` grammar (RFC 6455 §9.1), with quoted-string values
//! (RFC 9110 §5.6.4).

use http_core::field::is_tchar;

/// A `token` (RFC 9110 §5.6.2), by http-core's one definition.
pub(crate) fn is_token(s: &str) -> bool {
    http_core::field::is_token(s.as_bytes())
}

/// The non-empty elements of a comma-separated list, trimmed of optional whitespace.
pub(crate) fn list(value: &str) -> impl Iterator<Item = &str> {
    value
        .split(',')
        .map(|s| s.trim_matches([' ', '\t']))
        .filter(|s| !s.is_empty())
}

/// One element of `Sec-WebSocket-Extensions`: a name and its parameters in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Extension {
    pub(crate) name: String,
    pub(crate) params: Vec<(String, Option<String>)>,
}

/// Parses an `extension-list` (RFC 6455 §9.1). `None` when it breaks the grammar.
pub(crate) fn parse_extensions(value: &str) -> Option<Vec<Extension>> {
    let mut p = Parser {
        s: value.as_bytes(),
        i: 0,
    };
    let mut out = Vec::new();
    loop {
        p.ows();
        if p.eat(b',') {
            continue; // RFC 9110 §5.6.1: empty list elements are ignored.
        }
        if p.done() {
            return Some(out);
        }
        let name = p.token()?;
        let mut params = Vec::new();
        loop {
            p.ows();
            if !p.eat(b';') {
                break;
            }
            p.ows();
            let key = p.token()?;
            p.ows();
            let val = if p.eat(b'=') {
                p.ows();
                Some(if p.peek() == Some(b'"') {
                    p.quoted()?
                } else {
                    p.token()?
                })
            } else {
                None
            };
            params.push((key.to_ascii_lowercase(), val));
        }
        out.push(Extension {
            name: name.to_ascii_lowercase(),
            params,
        });
        p.ows();
        if !p.done() && !p.eat(b',') {
            return None;
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn done(&self) -> bool {
        self.i >= self.s.len()
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        self.i += usize::from(hit);
        hit
    }
    fn ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }
    fn token(&mut self) -> Option<String> {
        let start = self.i;
        while self.peek().is_some_and(is_tchar) {
            self.i += 1;
        }
        let t = self.s.get(start..self.i)?;
        (!t.is_empty()).then(|| String::from_utf8_lossy(t).into_owned())
    }
    fn quoted(&mut self) -> Option<String> {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            match self.peek()? {
                b'"' => {
                    self.i += 1;
                    // RFC 6455 §9.1: a quoted value must still be a token once unquoted.
                    let s = String::from_utf8(out).ok()?;
                    return is_token(&s).then_some(s);
                }
                b'\\' => {
                    self.i += 1;
                    out.push(self.peek()?);
                }
                b => out.push(b),
            }
            self.i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_lists() {
        let e = parse_extensions(
            "permessage-deflate; client_max_window_bits; server_max_window_bits=\"10\", foo ,, Bar;x=y",
        )
        .unwrap();
        assert_eq!(e.len(), 3);
        assert_eq!(e[0].name, "permessage-deflate");
        assert_eq!(
            e[0].params,
            vec![
                ("client_max_window_bits".into(), None),
                ("server_max_window_bits".into(), Some("10".into()))
            ]
        );
        assert_eq!(e[2].name, "bar");
        assert_eq!(e[2].params, vec![("x".into(), Some("y".into()))]);
        for bad in ["a;", "a b", "a;=1", "a;x=\"1", "a;x=\"1 2\"", "a;x=;"] {
            assert_eq!(parse_extensions(bad), None, "{bad}");
        }
        assert_eq!(parse_extensions("").unwrap(), vec![]);
    }

    #[test]
    fn lists() {
        assert_eq!(
            list(" keep-alive ,Upgrade,,").collect::<Vec<_>>(),
            ["keep-alive", "Upgrade"]
        );
    }
}
