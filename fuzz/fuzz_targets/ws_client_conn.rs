#![no_main]
//! A client `Connection` with permessage-deflate on, fed what its peer might send.

#[path = "ws_conn_driver.rs"]
mod driver;

libfuzzer_sys::fuzz_target!(|input: driver::Input| driver::check(ws_proto::Role::Client, input));
