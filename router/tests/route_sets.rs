//! The public route sets: matchit's benchmark set and the go-http-routing-benchmark lists
//! all insert (in any order) and every request path finds its own route.

use weft_router::{Lookup, MethodRouter, Router};

fn data(name: &str) -> String {
    let path = format!("{}/../testdata/router/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A cheap deterministic shuffle, so the test needs no random source.
fn shuffled<T: Clone>(items: &[T], seed: u64) -> Vec<T> {
    let mut items = items.to_vec();
    let mut state = seed;
    for i in (1..items.len()).rev() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let j = (state >> 33) as usize % (i + 1);
        items.swap(i, j);
    }
    items
}

#[test]
fn matchit_bench_set_inserts_in_any_order_and_every_path_finds_its_route() {
    let routes: Vec<String> = data("matchit-bench-routes.txt")
        .lines()
        .map(str::to_owned)
        .collect();
    let paths: Vec<String> = data("matchit-bench-paths.txt")
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(routes.len(), 130);
    assert_eq!(paths.len(), 130);
    for seed in 0..10 {
        let mut router = Router::new();
        for (i, route) in shuffled(&routes.iter().enumerate().collect::<Vec<_>>(), seed) {
            router
                .insert(route, i)
                .unwrap_or_else(|e| panic!("{route}: {e}"));
        }
        assert_eq!(router.len(), 130);
        for (i, path) in paths.iter().enumerate() {
            let m = router.at(path).unwrap_or_else(|e| panic!("{path}: {e}"));
            assert_eq!(*m.value, i, "{path} matched {}", routes[*m.value]);
            // Each parameter pN was replaced by its own name in the request path.
            assert_eq!(m.params.len(), routes[i].matches('{').count(), "{path}");
            for (name, value) in m.params.iter() {
                assert_eq!(name, value, "{path}");
            }
        }
    }
}

fn method_routes(file: &str) -> Vec<(String, String)> {
    data(file)
        .lines()
        .map(|line| {
            let (method, route) = line.split_once(' ').expect("METHOD route");
            (method.to_owned(), route.to_owned())
        })
        .collect()
}

#[test]
fn go_routing_benchmark_lists_insert_and_every_template_finds_itself() {
    for (file, expected) in [
        ("httprouter-bench-github.txt", 203),
        ("httprouter-bench-static.txt", 157),
        ("httprouter-bench-gplus.txt", 13),
        ("httprouter-bench-parse.txt", 26),
    ] {
        let routes = method_routes(file);
        assert_eq!(routes.len(), expected, "{file}");
        for seed in 0..5 {
            let mut router = MethodRouter::new();
            for (method, route) in shuffled(&routes, seed) {
                router
                    .insert(&method, &route, (method.clone(), route.clone()))
                    .unwrap_or_else(|e| panic!("{file}: {e}"));
            }
            // As in go-http-routing-benchmark's *All: the template itself is the path,
            // so `{owner}` is captured literally by the parameter of the same name.
            for (method, route) in &routes {
                let Lookup::Found(m) = router.lookup(method, route) else {
                    panic!("{file}: {method} {route} not found");
                };
                assert_eq!(m.value, &(method.clone(), route.clone()));
                for (name, value) in m.params.iter() {
                    assert_eq!(format!("{{{name}}}"), value, "{method} {route}");
                }
            }
        }
    }
}
