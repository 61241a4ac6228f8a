//! The segment table's edges, against the linear reference in `support/reference.rs`:
//! static segments and in-segment prefixes and suffixes around the eight- and
//! sixteen-byte boundaries where the lookup switches how it compares (one word, first and
//! last word, all bytes), differing from each other in one byte at the start, middle or
//! end; and route sets with and without a leading `/`, which decides where a lookup
//! starts.

#[path = "support/reference.rs"]
mod reference;

use proptest::prelude::*;
use reference::Reference;
use weft_router::Router;

/// `len` bytes of `a`, with `b` at `at` if given.
fn word(len: usize, at: Option<usize>) -> String {
    (0..len)
        .map(|i| if Some(i) == at { 'b' } else { 'a' })
        .collect()
}

/// Words of 7 to 24 bytes, pairwise equal but for one byte (or their length).
fn words() -> Vec<String> {
    let mut out = Vec::new();
    for len in [7, 8, 9, 15, 16, 17, 24] {
        out.push(word(len, None));
        for at in [0, len / 2, len - 1] {
            out.push(word(len, Some(at)));
        }
    }
    out.dedup();
    out
}

fn segment(words: Vec<String>, index: usize) -> impl Strategy<Value = String> {
    let pick = prop::sample::select(words);
    prop_oneof![
        3 => pick.clone(),
        1 => (pick.clone(), prop::sample::select(vec!["", "x"])).prop_map(move |(w, s)| format!("{w}{{p{index}}}{s}")),
        1 => (prop::sample::select(vec!["", "x"]), pick).prop_map(move |(p, w)| format!("{p}{{p{index}}}{w}")),
        1 => Just(format!("{{p{index}}}")),
    ]
}

fn route(words: Vec<String>) -> impl Strategy<Value = String> {
    (
        1usize..4,
        any::<bool>(),
        prop::option::weighted(0.2, Just(())),
        prop::option::weighted(0.1, Just(())),
    )
        .prop_flat_map(move |(len, slash, catch_all, bare)| {
            let segments: Vec<_> = (0..len).map(|i| segment(words.clone(), i)).collect();
            (segments, Just(slash), Just(catch_all), Just(bare))
        })
        .prop_map(|(segments, slash, catch_all, bare)| {
            let mut route = segments.join("/");
            if bare.is_none() {
                route.insert(0, '/');
            }
            if catch_all.is_some() {
                route.push_str("/{*rest}");
            } else if slash {
                route.push('/');
            }
            route
        })
}

fn path(words: Vec<String>) -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => prop::sample::select(words),
        1 => Just("x".to_owned()),
        1 => Just(String::new()),
    ];
    (prop::collection::vec(piece, 0..5), any::<bool>()).prop_map(|(segments, bare)| {
        let path = segments.join("/");
        if bare { path } else { format!("/{path}") }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn long_and_near_identical_segments_agree_with_the_reference(
        routes in prop::collection::vec(route(words()), 1..10),
        paths in prop::collection::vec(path(words()), 1..20),
    ) {
        let mut router = Router::new();
        let mut model = Reference::default();
        for route in &routes {
            let accepted = router.insert(route, route.clone()).is_ok();
            prop_assert_eq!(accepted, model.insert(route).is_ok(), "route {:?}", route);
        }
        // Paths made from the routes hit them; the random ones mostly miss.
        let filled = routes.iter().map(|r| {
            let mut out = String::new();
            let mut rest = r.as_str();
            while let Some(open) = rest.find('{') {
                out.push_str(&rest[..open]);
                let close = rest[open..].find('}').map_or(rest.len(), |c| open + c + 1);
                out.push_str(if rest[open..].starts_with("{*") { "c/d" } else { "v" });
                rest = &rest[close..];
            }
            out + rest
        });
        for path in paths.into_iter().chain(filled) {
            let got = router
                .at(&path)
                .ok()
                .map(|m| (m.value.as_str(), m.params.iter().collect::<Vec<_>>()));
            prop_assert_eq!(got, model.at(&path), "path {:?}", path);
        }
    }
}

#[test]
fn segments_differing_in_one_byte_past_the_eighth_are_told_apart() {
    let mut router = Router::new();
    let all = words();
    for w in &all {
        router.insert(&format!("/{w}/end"), w.clone()).unwrap();
    }
    for w in &all {
        assert_eq!(router.at(&format!("/{w}/end")).unwrap().value, w);
        assert!(router.at(&format!("/{w}x/end")).is_err());
        assert!(router.at(&format!("/{w}")).is_err());
    }
}

#[test]
fn a_lookup_starts_past_the_slash_only_when_every_route_has_one() {
    let mut router = Router::new();
    router.insert("/a", 1).unwrap();
    router.insert("/{p}/b", 2).unwrap();
    assert_eq!(*router.at("/a").unwrap().value, 1);
    assert_eq!(*router.at("/x/b").unwrap().value, 2);
    assert!(router.at("a").is_err());
    assert!(router.at("").is_err());
    assert!(router.at("x/b").is_err());

    router.insert("", 3).unwrap();
    router.insert("{q}", 4).unwrap();
    assert_eq!(*router.at("").unwrap().value, 3);
    assert_eq!(*router.at("a").unwrap().value, 4);
    assert_eq!(router.at("a").unwrap().params.get("q"), Some("a"));
    assert_eq!(*router.at("/a").unwrap().value, 1);
    assert_eq!(*router.at("/x/b").unwrap().value, 2);
}
