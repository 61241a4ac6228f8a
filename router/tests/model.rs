//! Model-based tests: random route sets and paths, every answer compared with the naive
//! linear-scan reference in `support/reference.rs` (same priority rules, no trie).

#[path = "support/reference.rs"]
mod reference;

use proptest::prelude::*;
use reference::{Reference, Refusal};
use weft_router::{InsertError, Router};

/// Small alphabets so that routes overlap and paths hit them often.
const WORDS: &[&str] = &[
    "a", "b", "ab", "ba", "a.b", "b.b", ".b", "aa", "a.tar.b", "c", "d", "e", "f", "g", "h", "i",
];
const PREFIXES: &[&str] = &["", "", "", "a", "ab", "{{"];
const SUFFIXES: &[&str] = &["", "", "", ".b", "b", ".tar.b", "}}"];
const NAMES: &[&str] = &["x", "y"];

fn segment(index: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(WORDS).prop_map(str::to_owned),
        3 => (prop::sample::select(PREFIXES), prop::sample::select(NAMES), prop::sample::select(SUFFIXES))
            .prop_map(move |(p, n, s)| format!("{p}{{{n}{index}}}{s}")),
        1 => Just(String::new()),
    ]
}

fn route() -> impl Strategy<Value = String> {
    (
        1usize..5,
        any::<bool>(),
        prop::option::weighted(0.25, prop::sample::select(&["", "a", "b"][..])),
    )
        .prop_flat_map(|(len, trailing_slash, catch_all)| {
            let segments: Vec<_> = (0..len).map(segment).collect();
            (segments, Just(trailing_slash), Just(catch_all))
        })
        .prop_map(|(segments, trailing_slash, catch_all)| {
            let mut route = String::new();
            for s in segments {
                route.push('/');
                route.push_str(&s);
            }
            if let Some(prefix) = catch_all {
                route.push('/');
                route.push_str(prefix);
                route.push_str("{*rest}");
            } else if trailing_slash {
                route.push('/');
            }
            route
        })
}

/// Routes plus some malformed or odd templates, to compare what is refused too.
fn any_route() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => route(),
        1 => "[/{}*ab.]{0,8}",
    ]
}

fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            prop::sample::select(WORDS).prop_map(str::to_owned),
            Just(String::new())
        ],
        0..6,
    )
    .prop_map(|segments| {
        let mut path = String::new();
        for s in segments {
            path.push('/');
            path.push_str(&s);
        }
        path
    })
}

/// A path made from a route by filling its parameters, so that lookups often hit.
fn filled(route: &str, fill: &[&str]) -> String {
    let mut out = String::new();
    let mut rest = route;
    let mut k = 0;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        if rest[open..].starts_with("{{") {
            out.push('{');
            rest = &rest[open + 2..];
            continue;
        }
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c);
        out.push_str(fill[k % fill.len()]);
        k += 1;
        rest = rest.get(close + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out.replace("}}", "}")
}

fn check_lookups(
    router: &Router<String>,
    model: &Reference,
    paths: &[String],
) -> Result<(), TestCaseError> {
    for path in paths {
        let got = router
            .at(path)
            .ok()
            .map(|m| (m.value.as_str(), m.params.iter().collect::<Vec<_>>()));
        let want = model.at(path);
        prop_assert_eq!(&got, &want, "path {:?}", path);
        if let Some((_, params)) = &want {
            let m = router.at(path).unwrap();
            for (name, value) in params {
                prop_assert_eq!(m.params.get(name), Some(*value));
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn router_agrees_with_the_linear_reference(
        routes in prop::collection::vec(any_route(), 1..12),
        random_paths in prop::collection::vec(path(), 0..12),
        fills in prop::collection::vec(prop::sample::select(WORDS), 1..4),
        removals in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let mut router = Router::new();
        let mut model = Reference::default();
        for route in &routes {
            let got = router.insert(route, route.clone());
            let want = model.insert(route);
            match (&got, &want) {
                (Ok(()), Ok(())) => {}
                (Err(InsertError::Conflict { existing, route: refused }), Err(Refusal::Conflict(with))) => {
                    prop_assert_eq!(existing, with);
                    prop_assert_eq!(refused, route);
                }
                (Err(InsertError::Conflict { .. }), _) | (_, Err(Refusal::Conflict(_))) => {
                    prop_assert!(false, "{route:?}: router {got:?}, reference {want:?}");
                }
                (Err(_), Err(Refusal::Malformed)) => {}
                _ => prop_assert!(false, "{route:?}: router {got:?}, reference {want:?}"),
            }
        }
        prop_assert_eq!(router.len(), model.routes.len());

        let mut paths = random_paths;
        for route in &routes {
            paths.push(filled(route, &fills));
            paths.push(format!("{}/", filled(route, &fills)));
        }
        check_lookups(&router, &model, &paths)?;

        // Removal leaves the router as if the route had never been inserted.
        for index in removals {
            let route = index.get(&routes);
            let removed = router.remove(route);
            prop_assert_eq!(removed.is_some(), model.remove(route), "remove {:?}", route);
        }
        prop_assert_eq!(router.len(), model.routes.len());
        check_lookups(&router, &model, &paths)?;
    }

    #[test]
    fn accepted_set_does_not_depend_on_insertion_order(
        routes in prop::collection::vec(route(), 1..12),
        paths in prop::collection::vec(path(), 0..12),
    ) {
        let build = |order: &mut dyn Iterator<Item = &String>| {
            let mut router = Router::new();
            let mut accepted = 0;
            for route in order {
                accepted += usize::from(router.insert(route, ()).is_ok());
            }
            (router, accepted)
        };
        let (forward, accepted_forward) = build(&mut routes.iter());
        let (backward, accepted_backward) = build(&mut routes.iter().rev());
        prop_assert_eq!(accepted_forward, accepted_backward);
        for path in &paths {
            // The same shape wins either way; only the spelling of its names may differ.
            let shape = |r: &Router<()>| r.at(path).ok().map(|m| m.params.iter().map(|(_, v)| v).collect::<Vec<_>>());
            prop_assert_eq!(shape(&forward), shape(&backward), "path {:?}", path);
        }
    }
}

#[test]
fn at_mut_reaches_the_same_value_as_at() {
    let mut router = Router::new();
    router.insert("/{a}/x", 1).unwrap();
    router.insert("/a.{b}/y", 2).unwrap();
    *router.at_mut("/a.q/y").unwrap().value += 10;
    let m = router.at_mut("/q/x").unwrap();
    assert_eq!(m.params.get("a"), Some("q"));
    *m.value += 100;
    assert_eq!(*router.at("/a.q/y").unwrap().value, 12);
    assert_eq!(*router.at("/a.q/x").unwrap().value, 101);
}

#[test]
fn many_params_spill_without_losing_values() {
    let mut router = Router::new();
    let long: String = (0..12).map(|i| format!("/{{p{i}}}")).collect();
    router.insert(&long, "params").unwrap();
    let path: String = (0..12).map(|i| format!("/{i}")).collect();
    let m = router.at(&path).unwrap();
    assert_eq!(*m.value, "params");
    let values: Vec<_> = m.params.iter().map(|(_, v)| v).collect();
    assert_eq!(values, (0..12).map(|i| i.to_string()).collect::<Vec<_>>());
    assert_eq!(m.params.get("p11"), Some("11"));
    assert_eq!(m.params.get("p0"), Some("0"));
}

#[test]
fn deep_backtracking_unwinds_in_order() {
    // A static chain /0/1/.../15/end with a parameter route beside every node of it:
    // walking /0/1/.../15 leaves sixteen choice points behind, resumed deepest first.
    let mut router = Router::new();
    router
        .insert(
            &((0..16).map(|i| format!("/{i}")).collect::<String>() + "/end"),
            String::new(),
        )
        .unwrap();
    for level in 0..16 {
        let route = (0..level).map(|i| format!("/{i}")).collect::<String>() + "/{p}/{*rest}";
        router.insert(&route, route.clone()).unwrap();
    }
    let path: String = (0..16).map(|i| format!("/{i}")).collect();
    let m = router.at(&path).unwrap();
    // The deepest choice point that can succeed wins: level 14 (level 15 has no rest).
    let expected = (0..14).map(|i| format!("/{i}")).collect::<String>() + "/{p}/{*rest}";
    assert_eq!(*m.value, expected);
    assert_eq!(m.params.get("p"), Some("14"));
    assert_eq!(m.params.get("rest"), Some("15"));
    assert_eq!(m.params.len(), 2);
}

#[test]
fn refuses_routes_past_the_size_limit() {
    let mut router = Router::new();
    let huge = format!("/{}", "a".repeat(1 << 24));
    assert!(matches!(
        router.insert(&huge, ()),
        Err(InsertError::TooLarge { .. })
    ));
    assert!(router.is_empty());
    router.insert("/a", ()).unwrap();
    assert!(router.at("/a").is_ok());
}

#[test]
fn refuses_routes_past_the_segment_limit() {
    let mut router = Router::new();
    // 2^20 + 1 segments in 2 MiB of text: within the byte limit, past the segment one.
    let many = "/a".repeat(1 << 20);
    assert!(matches!(
        router.insert(&many, ()),
        Err(InsertError::TooLarge { .. })
    ));
    assert!(router.is_empty());
    // 2^19 + 1 segments each: the second would make 2^20 + 2.
    let half = "/".repeat(1 << 19);
    let other = format!("{half}x");
    router.insert(&half, ()).unwrap();
    assert!(matches!(
        router.insert(&other, ()),
        Err(InsertError::TooLarge { .. })
    ));
    assert!(router.remove(&half).is_some());
    router.insert(&other, ()).unwrap();
    assert_eq!(router.len(), 1);
    assert!(router.at("/a").is_err());
}
