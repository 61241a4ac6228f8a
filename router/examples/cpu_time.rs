//! A fixed amount of lookup work for one router, for CPU-time and instruction counts
//! that the other jobs on a shared machine disturb less than criterion's wall clock:
//!
//! ```text
//! cargo build --release -p weft-router --example cpu_time
//! perf stat -e task-clock target/release/examples/cpu_time weft 20000 github
//! valgrind --tool=callgrind target/release/examples/cpu_time matchit 1000 matchit-set
//! ```
//!
//! Arguments: the router (`weft` or `matchit`), the number of passes, the set
//! (`matchit-set` or `github`, as in `benches/lookup.rs`). Each pass looks up every path
//! of the set once and checks the route found.

use std::hint::black_box;

fn data(name: &str) -> String {
    let path = format!("{}/../testdata/router/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The routes of a set and its paths, each with the index of the route it must find.
fn set(name: &str) -> (Vec<String>, Vec<(String, usize)>) {
    if name == "github" {
        let mut routes: Vec<String> = Vec::new();
        let mut paths = Vec::new();
        for line in data("httprouter-bench-github.txt").lines() {
            let (_, route) = line.split_once(' ').expect("METHOD route");
            let index = routes.iter().position(|r| r == route).unwrap_or_else(|| {
                routes.push(route.to_owned());
                routes.len() - 1
            });
            paths.push((route.replace(['{', '}'], ""), index));
        }
        (routes, paths)
    } else {
        let routes = data("matchit-bench-routes.txt")
            .lines()
            .map(str::to_owned)
            .collect();
        let paths = data("matchit-bench-paths.txt")
            .lines()
            .map(str::to_owned)
            .zip(0..)
            .collect();
        (routes, paths)
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, which, passes, name] = args.as_slice() else {
        panic!("usage: cpu_time weft|matchit PASSES matchit-set|github");
    };
    let passes: usize = passes.parse().expect("PASSES is a number");
    let (routes, paths) = set(name);
    match which.as_str() {
        "weft" => {
            let mut router = weft_router::Router::new();
            for (i, route) in routes.iter().enumerate() {
                router.insert(route, i).expect("route accepted");
            }
            for _ in 0..passes {
                for (path, expected) in black_box(&paths) {
                    assert_eq!(black_box(router.at(path).expect("found")).value, expected);
                }
            }
        }
        "matchit" => {
            let mut router = matchit::Router::new();
            for (i, route) in routes.iter().enumerate() {
                router.insert(route, i).expect("route accepted");
            }
            for _ in 0..passes {
                for (path, expected) in black_box(&paths) {
                    assert_eq!(black_box(router.at(path).expect("found")).value, expected);
                }
            }
        }
        other => panic!("unknown router {other}"),
    }
}
