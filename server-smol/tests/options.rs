//! Server options that embedders (the Python package's uvicorn-style flags)
//! set: default response fields, the Date switch, an inherited listener.

mod common;

use std::net::TcpListener;
use std::sync::Arc;

use bytes::Bytes;
use common::{app, config, get, start};
use weft_server::Server;

#[test]
fn default_fields_are_added_unless_the_handler_set_them() {
    let mut config = config();
    config.response_defaults.fields = vec![
        (Bytes::from_static(b"server"), Bytes::from_static(b"weft")),
        (Bytes::from_static(b"date"), Bytes::from_static(b"ignored")),
        (Bytes::from_static(b"x-team"), Bytes::from_static(b"blue")),
    ];
    let (server, addr) = start(config);
    let reply = get(addr, "/", "");
    assert_eq!(reply.header("server"), Some("weft"));
    assert_eq!(reply.header("x-team"), Some("blue"));
    // The handler's own Date wins over a default of the same name.
    let reply = get(addr, "/own-date", "");
    assert_eq!(reply.header("date"), Some("Tue, 01 Jan 2030 00:00:00 GMT"));
    assert_eq!(
        reply
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("date"))
            .count(),
        1
    );
    server.shutdown();
    server.join();
}

#[test]
fn the_date_field_can_be_turned_off() {
    let mut config = config();
    config.response_defaults.date = false;
    let (server, addr) = start(config);
    let reply = get(addr, "/", "");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("date"), None);
    // A handler's own Date is still sent.
    assert!(get(addr, "/own-date", "").header("date").is_some());
    server.shutdown();
    server.join();
}

#[test]
fn an_inherited_listener_is_accepted_on_and_outlives_the_server() {
    let inherited = Arc::new(TcpListener::bind("127.0.0.1:0").unwrap());
    let addr = inherited.local_addr().unwrap();
    let mut config = config();
    config.bind = None;
    config.workers = 2;
    config.listener = Some(inherited.clone());
    let server = Server::new(config, app()).bind().unwrap();
    assert_eq!(get(addr, "/", "").status, 200);
    server.shutdown();
    server.join();
    // The owner's socket is still listening: a connection made now waits in its
    // queue for the next process that accepts, instead of being refused.
    assert!(std::net::TcpStream::connect(addr).is_ok());
}
