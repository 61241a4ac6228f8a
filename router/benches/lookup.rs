//! weft's router against matchit, path-tree and wayfind, side by side in one run.
//!
//! * `matchit-set`: matchit's own benchmark (130 routes; one iteration = the 130 request
//!   paths of `matchit-bench-paths.txt`).
//! * `github`: go-http-routing-benchmark's GitHub API list (203 `METHOD route` lines, 142
//!   distinct routes). Path routers get the distinct routes; one iteration looks up the
//!   path of every one of the 203 lines, each parameter replaced by its own name (as
//!   matchit's benchmark builds its paths). `weft-methods` does the same through
//!   `MethodRouter` with the method, to show what the method layer costs.
//! * `static`: the 157 static routes of go-http-routing-benchmark's static list.
//!
//! Run: `cargo bench -p weft-router --bench lookup`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

fn data(name: &str) -> String {
    let path = format!("{}/../testdata/router/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `{name}` to `:name` for path-tree.
fn colon(route: &str) -> String {
    route.replace("{*", "*").replace('{', ":").replace('}', "")
}

/// `{name}` to `<name>` for wayfind.
fn angle(route: &str) -> String {
    route.replace('{', "<").replace('}', ">")
}

/// The request path for a template: each `{name}` replaced by `name`.
fn literal(route: &str) -> String {
    route.replace(['{', '}'], "")
}

/// Benchmarks every router on `routes`, looking up `paths` (with the index of the
/// route each must find) in one iteration.
fn compare(c: &mut Criterion, group: &str, routes: &[String], paths: &[(String, usize)]) {
    let mut group = c.benchmark_group(group);

    let mut weft = weft_router::Router::new();
    for (i, route) in routes.iter().enumerate() {
        weft.insert(route, i).unwrap();
    }
    group.bench_function("weft", |b| {
        b.iter(|| {
            for (path, expected) in black_box(paths) {
                let m = black_box(weft.at(path).unwrap());
                assert_eq!(m.value, expected);
            }
        })
    });

    let mut matchit = matchit::Router::new();
    for (i, route) in routes.iter().enumerate() {
        matchit.insert(route, i).unwrap();
    }
    group.bench_function("matchit", |b| {
        b.iter(|| {
            for (path, expected) in black_box(paths) {
                let m = black_box(matchit.at(path).unwrap());
                assert_eq!(m.value, expected);
            }
        })
    });

    let mut path_tree = path_tree::PathTree::new();
    for (i, route) in routes.iter().enumerate() {
        let _ = path_tree.insert(&colon(route), i);
    }
    group.bench_function("path-tree", |b| {
        b.iter(|| {
            for (path, expected) in black_box(paths) {
                let m = black_box(path_tree.find(path).unwrap());
                assert_eq!(m.0, expected);
            }
        })
    });

    let mut builder = wayfind::RouterBuilder::new();
    for (i, route) in routes.iter().enumerate() {
        builder.insert(&angle(route), i).unwrap();
    }
    let wayfind = builder.build();
    group.bench_function("wayfind", |b| {
        b.iter(|| {
            for (path, expected) in black_box(paths) {
                let m = black_box(wayfind.search(path).unwrap());
                assert_eq!(m.data(), expected);
            }
        })
    });
    group.finish();
}

fn matchit_set(c: &mut Criterion) {
    let routes: Vec<String> = data("matchit-bench-routes.txt")
        .lines()
        .map(str::to_owned)
        .collect();
    let paths: Vec<(String, usize)> = data("matchit-bench-paths.txt")
        .lines()
        .map(str::to_owned)
        .zip(0..)
        .collect();
    compare(c, "matchit-set", &routes, &paths);
}

fn method_list(file: &str) -> Vec<(String, String)> {
    data(file)
        .lines()
        .map(|line| {
            let (method, route) = line.split_once(' ').unwrap();
            (method.to_owned(), route.to_owned())
        })
        .collect()
}

/// Distinct routes of a `METHOD route` list, and each line's path with its route index.
fn distinct(list: &[(String, String)]) -> (Vec<String>, Vec<(String, usize)>) {
    let mut routes: Vec<String> = Vec::new();
    let mut paths = Vec::new();
    for (_, route) in list {
        let index = routes.iter().position(|r| r == route).unwrap_or_else(|| {
            routes.push(route.clone());
            routes.len() - 1
        });
        paths.push((literal(route), index));
    }
    (routes, paths)
}

fn github(c: &mut Criterion) {
    let list = method_list("httprouter-bench-github.txt");
    let (routes, paths) = distinct(&list);
    assert_eq!((routes.len(), paths.len()), (142, 203));
    compare(c, "github", &routes, &paths);

    let mut methods = weft_router::MethodRouter::new();
    for (i, (method, route)) in list.iter().enumerate() {
        methods.insert(method, route, i).unwrap();
    }
    let requests: Vec<(String, String, usize)> = list
        .iter()
        .enumerate()
        .map(|(i, (m, r))| (m.clone(), literal(r), i))
        .collect();
    c.bench_function("github/weft-methods", |b| {
        b.iter(|| {
            for (method, path, expected) in black_box(&requests) {
                match black_box(methods.lookup(method, path)) {
                    weft_router::Lookup::Found(m) => assert_eq!(m.value, expected),
                    _ => panic!("{method} {path}"),
                }
            }
        })
    });
}

fn static_list(c: &mut Criterion) {
    let (routes, paths) = distinct(&method_list("httprouter-bench-static.txt"));
    compare(c, "static", &routes, &paths);
}

criterion_group!(benches, matchit_set, github, static_list);
criterion_main!(benches);
