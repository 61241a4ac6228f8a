//! Side-by-side benchmark against the `h2` crate: not written yet (issue 5 §6).
fn main() {}
