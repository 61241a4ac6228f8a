//! Differential test against httparse: on random valid request heads both parsers agree
//! on every part; on mutated heads, whatever we accept httparse accepts identically (we
//! are stricter, never looser).

use proptest::prelude::*;
use weft_http1::{Config, Field, Status, Version, parse_request_head};

#[derive(Debug, PartialEq, Eq)]
struct Parsed {
    method: Vec<u8>,
    target: Vec<u8>,
    minor: u8,
    headers: Vec<(Vec<u8>, Vec<u8>)>,
    len: usize,
}

fn ours(buf: &[u8]) -> Result<Option<Parsed>, ()> {
    let mut fields: Vec<Field> = Vec::new();
    match parse_request_head(buf, &Config::server(), &mut fields) {
        Ok(Status::Complete(p)) => Ok(Some(Parsed {
            method: p.method.of(buf).to_vec(),
            target: p.target.of(buf).to_vec(),
            minor: match p.version {
                Version::Http10 => 0,
                Version::Http11 => 1,
            },
            headers: fields
                .iter()
                .map(|f| (f.name.of(buf).to_vec(), f.value.of(buf).to_vec()))
                .collect(),
            len: p.head_len,
        })),
        Ok(Status::Partial) => Ok(None),
        Err(_) => Err(()),
    }
}

fn theirs(buf: &[u8]) -> Result<Option<Parsed>, ()> {
    let mut headers = [httparse::EMPTY_HEADER; 128];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(buf) {
        Ok(httparse::Status::Complete(len)) => Ok(Some(Parsed {
            method: req.method.unwrap_or_default().as_bytes().to_vec(),
            target: req.path.unwrap_or_default().as_bytes().to_vec(),
            minor: req.version.unwrap_or_default(),
            headers: req
                .headers
                .iter()
                .map(|h| (h.name.as_bytes().to_vec(), h.value.to_vec()))
                .collect(),
            len,
        })),
        Ok(httparse::Status::Partial) => Ok(None),
        Err(_) => Err(()),
    }
}

fn head() -> impl Strategy<Value = Vec<u8>> {
    let method = "[A-Z]{1,10}|M-SEARCH|[!#$%&'*+.^_`|~0-9a-z-]{1,8}";
    let target = "/[!-~]{0,80}|\\*|[a-z]{1,10}\\.com:[0-9]{1,5}|http://[a-z]{1,10}/[!-~]{0,20}";
    let name = "[!#$%&'*+.^_`|~0-9A-Za-z-]{1,20}";
    let value = "([!-~]([ \t!-~]{0,40}[!-~])?)?";
    (
        method,
        target,
        any::<bool>(),
        prop::collection::vec((name, value, "[ \t]{0,2}"), 0..30),
    )
        .prop_map(|(m, t, http10, fields)| {
            let mut out = format!("{m} {t} HTTP/1.{}\r\n", if http10 { 0 } else { 1 });
            for (n, v, ows) in fields {
                out.push_str(&format!("{n}:{ows}{v}\r\n"));
            }
            out.push_str("\r\n");
            out.into_bytes()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn agree_on_valid_heads(head in head()) {
        let ours = ours(&head);
        prop_assert!(matches!(ours, Ok(Some(_))), "{:?}", String::from_utf8_lossy(&head));
        prop_assert_eq!(ours, theirs(&head));
        // Every proper prefix is partial for both.
        for cut in [0, 1, head.len() / 3, head.len() / 2, head.len() - 1] {
            prop_assert_eq!(self::ours(&head[..cut]), Ok(None));
            prop_assert_eq!(self::theirs(&head[..cut]), Ok(None));
        }
    }

    #[test]
    fn we_never_accept_what_httparse_refuses(
        head in head(),
        mutations in prop::collection::vec((any::<usize>(), prop::sample::select(
            b"\0\t\n\r \x01\x0b\x7f\x80\xff:;,\"()/\\HTP1.0".to_vec())), 1..4),
    ) {
        let mut head = head;
        for (at, byte) in mutations {
            let at = at % head.len();
            head[at] = byte;
        }
        if let Ok(Some(parsed)) = ours(&head) {
            prop_assert_eq!(Ok(Some(parsed)), theirs(&head), "{:?}", String::from_utf8_lossy(&head));
        }
    }
}
