//! Frame coding side by side with tungstenite: the benchmark is still to be written.
fn main() {}
