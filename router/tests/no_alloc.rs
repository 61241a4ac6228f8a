//! A lookup allocates nothing: counted with a wrapping global allocator, over matchit's
//! benchmark set and over lookups that backtrack. One test per binary, so no other test
//! allocates on this thread meanwhile (the count is per thread anyway).
// The only way to observe allocations is a `GlobalAlloc`, which is an unsafe trait; this
// one only counts and delegates to `System`.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use weft_router::Router;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract for `alloc` is passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

fn data(name: &str) -> String {
    let path = format!("{}/../testdata/router/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn lookups_allocate_nothing() {
    let routes = data("matchit-bench-routes.txt");
    let paths = data("matchit-bench-paths.txt");
    let mut router = Router::new();
    for (i, route) in routes.lines().enumerate() {
        router.insert(route, i).unwrap();
    }
    // The first lookup after a change builds the lookup table; that one may allocate.
    assert!(router.at("/").is_err());

    let before = allocations();
    let mut found = 0;
    for path in paths.lines() {
        let m = router.at(path).unwrap();
        found += m.params.len() + usize::from(m.params.get("p1").is_some());
    }
    assert_eq!(allocations(), before, "lookups allocated");
    assert!(found > 0);

    // Backtracking through several save points, with parameters kept and dropped.
    let mut router = Router::new();
    for route in [
        "/{tenant}/api/v1/users/me/settings",
        "/{tenant}/api/{version}/users/{id}/profile",
        "/{tenant}/{*rest}",
        "/{name}.tar.gz/list",
        "/{name}.gz/raw",
    ] {
        router.insert(route, route).unwrap();
    }
    assert!(router.at("/").is_err());
    let before = allocations();
    let m = router.at("/acme/api/v1/users/me/avatar").unwrap();
    assert_eq!(m.params.get("rest"), Some("api/v1/users/me/avatar"));
    let m = router.at("/a.tar.gz/raw").unwrap();
    assert_eq!(m.params.get("name"), Some("a.tar"));
    assert_eq!(allocations(), before, "backtracking lookups allocated");

    // The counter does count: a lookup with more than four parameters spills.
    let mut router = Router::new();
    router.insert("/{a}/{b}/{c}/{d}/{e}", ()).unwrap();
    assert!(router.at("/").is_err());
    let before = allocations();
    assert_eq!(router.at("/1/2/3/4/5").unwrap().params.len(), 5);
    assert!(allocations() > before, "the counting allocator saw nothing");
}
