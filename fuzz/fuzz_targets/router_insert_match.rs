#![no_main]
//! Random route sets and paths into `router::Router`, every answer checked against the
//! linear reference matcher the model tests use (`router/tests/support/reference.rs`):
//! the same routes accepted or refused (conflicts naming the same route), the same route
//! and parameters for every path, before and after removals. Nothing may panic.

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;

#[path = "../../router/tests/support/reference.rs"]
mod reference;

use reference::{Reference, Refusal};

/// Pieces routes and paths are made of: few enough that routes overlap and paths hit.
const TOKENS: &[&str] = &[
    "/", "/", "/", "a", "b", "ab", ".", ".b", "b.b", "-", "{x}", "{y}", "{z}", "{*r}", "{{", "}}",
    "{", "}", "é", "",
];
const PATH_TOKENS: &[&str] = &["/", "/", "a", "b", "ab", ".", ".b", "b.b", "-", "{", "}", "é", "%", "x"];

fn build(u: &mut Unstructured<'_>, tokens: &[&str]) -> arbitrary::Result<String> {
    if u.ratio(1, 16)? {
        // Now and then, anything at all.
        return String::arbitrary(u);
    }
    let mut out = String::new();
    for _ in 0..u.int_in_range(0..=10)? {
        out.push_str(u.choose(tokens)?);
    }
    Ok(out)
}

/// A path made from a route by filling its parameters, so that lookups often hit.
fn filled(route: &str, fill: &str) -> String {
    let mut out = String::new();
    let mut chars = route.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                for c in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                }
                out.push_str(fill);
            }
            c => out.push(c),
        }
    }
    out
}

fn run(data: &[u8]) -> arbitrary::Result<()> {
    let mut u = Unstructured::new(data);
    let mut router = router::Router::new();
    let mut model = Reference::default();
    let mut routes = Vec::new();
    for _ in 0..u.int_in_range(0..=12)? {
        let route = build(&mut u, TOKENS)?;
        let got = router.insert(&route, route.clone());
        let want = model.insert(&route);
        match (&got, &want) {
            (Ok(()), Ok(())) | (Err(_), Err(Refusal::Malformed)) => {}
            (Err(router::InsertError::Conflict { existing, .. }), Err(Refusal::Conflict(with))) => {
                assert_eq!(existing, with, "{route:?}");
            }
            _ => panic!("{route:?}: router {got:?}, reference {want:?}"),
        }
        routes.push(route);
    }
    let mut paths = Vec::new();
    for _ in 0..u.int_in_range(0..=12)? {
        paths.push(build(&mut u, PATH_TOKENS)?);
    }
    let fill = build(&mut u, PATH_TOKENS)?;
    for route in &routes {
        paths.push(filled(route, &fill));
    }
    check(&router, &model, &paths);
    for _ in 0..u.int_in_range(0..=3)? {
        if routes.is_empty() {
            break;
        }
        let route = u.choose(&routes)?.clone();
        assert_eq!(router.remove(&route).is_some(), model.remove(&route), "remove {route:?}");
    }
    check(&router, &model, &paths);
    Ok(())
}

fn check(router: &router::Router<String>, model: &Reference, paths: &[String]) {
    assert_eq!(router.len(), model.routes.len());
    for path in paths {
        let got = router.at(path).ok();
        let want = model.at(path);
        let got_pairs = got.as_ref().map(|m| (m.value.as_str(), m.params.iter().collect::<Vec<_>>()));
        assert_eq!(got_pairs, want, "path {path:?}");
        if let Some(m) = got {
            for (_, value) in m.params.iter() {
                let _ = router::percent_decode(value);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = run(data);
});
