#![no_main]
//! An HTTP/3 server connection driven by arbitrary stream events (see h3_common.rs).

#[path = "h3_common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|ops: Vec<common::Op>| {
    common::run(http3_proto::Role::Server, ops);
});
