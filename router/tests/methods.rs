//! The method layer: 405 with `Allow`, HEAD from GET, trailing-slash hints, removal.

use weft_router::{InsertError, Lookup, MethodMatch, MethodRouter, Methods, TrailingSlash};

fn found<'r, T>(lookup: Lookup<'r, '_, T>) -> Option<&'r T> {
    match lookup {
        Lookup::Found(m) => Some(m.value),
        _ => None,
    }
}

fn allow<T>(lookup: Lookup<'_, '_, T>) -> Option<String> {
    match lookup {
        Lookup::MethodNotAllowed { allow } => Some(allow.to_string()),
        _ => None,
    }
}

fn hint<T>(lookup: Lookup<'_, '_, T>) -> Option<Option<TrailingSlash>> {
    match lookup {
        Lookup::NotFound { trailing_slash } => Some(trailing_slash),
        _ => None,
    }
}

#[test]
fn method_not_allowed_lists_the_methods_with_implied_head() {
    let mut r = MethodRouter::new();
    r.insert("POST", "/users/{id}", "post").unwrap();
    r.insert("GET", "/users/{id}", "get").unwrap();
    r.insert("DELETE", "/users/{id}", "delete").unwrap();
    r.insert("PUT", "/only-put", "put").unwrap();
    assert_eq!(found(r.lookup("GET", "/users/7")), Some(&"get"));
    assert_eq!(
        allow(r.lookup("PATCH", "/users/7")).as_deref(),
        Some("DELETE, GET, HEAD, POST")
    );
    assert_eq!(allow(r.lookup("GET", "/only-put")).as_deref(), Some("PUT"));
    // Method names are case-sensitive (RFC 9110 §9.1).
    assert_eq!(
        allow(r.lookup("get", "/users/7")).as_deref(),
        Some("DELETE, GET, HEAD, POST")
    );
    assert!(hint(r.lookup("GET", "/nothing")).is_some());
}

#[test]
fn head_falls_back_to_get_unless_head_is_routed() {
    let mut r = MethodRouter::new();
    r.insert("GET", "/a", "get a").unwrap();
    r.insert("GET", "/b", "get b").unwrap();
    r.insert("HEAD", "/b", "head b").unwrap();
    assert_eq!(found(r.lookup("HEAD", "/a")), Some(&"get a"));
    assert_eq!(found(r.lookup("HEAD", "/b")), Some(&"head b"));
    assert_eq!(allow(r.lookup("POST", "/b")).as_deref(), Some("GET, HEAD"));

    let mut m = Methods::new();
    m.insert("POST", 1);
    assert!(matches!(m.get("HEAD"), MethodMatch::MethodNotAllowed(_)));
    m.insert("GET", 2);
    assert!(matches!(m.get("HEAD"), MethodMatch::Found(&2)));
    assert_eq!(
        m.allow().iter().collect::<Vec<_>>(),
        ["GET", "HEAD", "POST"]
    );
}

#[test]
fn trailing_slash_hint_on_a_miss() {
    let mut r = MethodRouter::new();
    r.insert("GET", "/dir/", ()).unwrap();
    r.insert("GET", "/file", ()).unwrap();
    r.insert("POST", "/post-only", ()).unwrap();
    r.insert("GET", "/users/{id}", ()).unwrap();
    assert_eq!(
        hint(r.lookup("GET", "/dir")),
        Some(Some(TrailingSlash::Add))
    );
    assert_eq!(
        hint(r.lookup("GET", "/file/")),
        Some(Some(TrailingSlash::Remove))
    );
    assert_eq!(
        hint(r.lookup("HEAD", "/file/")),
        Some(Some(TrailingSlash::Remove))
    );
    assert_eq!(
        hint(r.lookup("GET", "/users/7/")),
        Some(Some(TrailingSlash::Remove))
    );
    assert_eq!(hint(r.lookup("GET", "/nothing")), Some(None));
    assert_eq!(hint(r.lookup("GET", "/")), Some(None));
    // No redirect to a place that would only answer 405.
    assert_eq!(hint(r.lookup("GET", "/post-only/")), Some(None));
}

#[test]
fn conflicts_and_removal() {
    let mut r = MethodRouter::new();
    r.insert("GET", "/users/{id}", 1).unwrap();
    assert!(matches!(
        r.insert("GET", "/users/{id}", 2),
        Err(InsertError::Conflict { .. })
    ));
    assert!(matches!(
        r.insert("POST", "/users/{name}", 2),
        Err(InsertError::Conflict { .. })
    ));
    r.insert("POST", "/users/{id}", 3).unwrap();
    assert_eq!(r.remove("GET", "/users/{name}"), None);
    assert_eq!(r.remove("GET", "/users/{id}"), Some(1));
    assert_eq!(allow(r.lookup("GET", "/users/1")).as_deref(), Some("POST"));
    assert_eq!(r.remove("POST", "/users/{id}"), Some(3));
    assert!(r.router().is_empty());
    assert_eq!(hint(r.lookup("POST", "/users/1")), Some(None));
    r.insert("GET", "/users/{name}", 4).unwrap();
    assert_eq!(found(r.lookup("GET", "/users/x")), Some(&4));
}
