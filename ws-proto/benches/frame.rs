//! Frame parse and unmask against tungstenite (written next).
fn main() {}
