//! RFC 8441 extended CONNECT: the setting in both roles, the `:protocol` pseudo-header
//! and its validation, and the tunnel that DATA makes of the stream afterwards.

mod support;

use std::time::Duration;

use bytes::Bytes;
use support::pair::{Pair, body_of, bytes_of};
use support::*;
use weft_http2::frame::Frame;
use weft_http2::{
    Config, Connection, ConnectionError, ErrorCode, Event, Header, HeadersKind, PREFACE, SendError,
    StreamId,
};

fn server_config() -> Config {
    let mut config = Config::server();
    config.local.enable_connect_protocol = true;
    config
}

fn websocket_request() -> Vec<Header> {
    vec![
        Header::new(":method", "CONNECT"),
        Header::new(":protocol", "websocket"),
        Header::new(":scheme", "https"),
        Header::new(":path", "/chat"),
        Header::new(":authority", "example.com"),
        Header::new("sec-websocket-version", "13"),
    ]
}

const WS: &[(&str, &str)] = &[
    (":method", "CONNECT"),
    (":protocol", "websocket"),
    (":scheme", "http"),
    (":path", "/ws"),
    (":authority", "localhost"),
];

fn ok() -> Vec<Header> {
    vec![Header::new(":status", "200")]
}

/// The request event of `events`, with its kind.
fn request_of(events: &[Event]) -> Option<(StreamId, Vec<Header>, HeadersKind)> {
    events.iter().find_map(|e| match e {
        Event::Headers {
            stream,
            headers,
            kind: kind @ HeadersKind::Request { .. },
            ..
        } => Some((*stream, headers.clone(), *kind)),
        _ => None,
    })
}

/// The client sends a WebSocket extended CONNECT; the server's view of it.
fn send_websocket_request(p: &mut Pair) -> (StreamId, Vec<Header>, HeadersKind) {
    let id = p.client.open_stream().unwrap();
    p.client
        .send_headers(id, &websocket_request(), false)
        .unwrap();
    p.drive();
    let request = request_of(&p.take_server_events()).expect("request");
    assert_eq!(request.0, id);
    request
}

/// A pair whose client has seen the server's SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 and
/// whose server has a 200 out on an extended CONNECT stream.
fn open_tunnel() -> (Pair, StreamId) {
    let mut p = Pair::with(Config::client(), server_config());
    let (id, _, _) = send_websocket_request(&mut p);
    p.server.send_headers(id, &ok(), false).unwrap();
    p.drive();
    let events = p.take_client_events();
    assert!(events.iter().any(|e| matches!(
        e,
        Event::Headers {
            kind: HeadersKind::Response,
            end_stream: false,
            ..
        }
    )));
    (p, id)
}

// ---- the setting --------------------------------------------------------------------

#[test]
fn a_server_advertises_the_setting_and_the_client_learns_it() {
    let p = Pair::with(Config::client(), server_config());
    assert!(p.client.peer_settings().enable_connect_protocol);
    assert!(p.server.local_settings().enable_connect_protocol);
    let p = Pair::new();
    assert!(!p.client.peer_settings().enable_connect_protocol);
}

#[test]
fn a_client_sends_extended_connect_only_after_the_peer_enabled_it() {
    let mut p = Pair::new();
    let id = p.client.open_stream().unwrap();
    assert_eq!(
        p.client.send_headers(id, &websocket_request(), false),
        Err(SendError::ExtendedConnectDisabled)
    );
    // A plain CONNECT (RFC 9113 §8.5) needs no setting.
    let connect = [
        Header::new(":method", "CONNECT"),
        Header::new(":authority", "example.com:443"),
    ];
    p.client.send_headers(id, &connect, false).unwrap();
}

#[test]
fn a_client_refuses_to_send_a_malformed_extended_connect() {
    let mut p = Pair::with(Config::client(), server_config());
    for drop in [":scheme", ":path", ":authority"] {
        let id = p.client.open_stream().unwrap();
        let request: Vec<Header> = websocket_request()
            .into_iter()
            .filter(|h| &h.name[..] != drop.as_bytes())
            .collect();
        assert_eq!(
            p.client.send_headers(id, &request, false),
            Err(SendError::InvalidHeader),
            "without {drop}"
        );
    }
    let id = p.client.open_stream().unwrap();
    let mut get = websocket_request();
    get[0] = Header::new(":method", "GET");
    assert_eq!(
        p.client.send_headers(id, &get, false),
        Err(SendError::InvalidHeader)
    );
}

#[test]
fn the_peer_turning_the_setting_off_is_a_connection_error() {
    let now = epoch();
    let mut client = Connection::new(now, Config::client());
    client.recv(now, &cat(&[settings(&[(0x8, 1)]), settings(&[(0x8, 1)])]));
    assert!(client.error().is_none());
    assert!(client.peer_settings().enable_connect_protocol);
    client.recv(now, &settings(&[(0x8, 0)]));
    assert!(matches!(
        client.error(),
        Some(ConnectionError::Protocol {
            code: ErrorCode::PROTOCOL_ERROR,
            ..
        })
    ));
    let mut out = Vec::new();
    while let Some(b) = client.poll_transmit() {
        out.extend_from_slice(&b);
    }
    let frames = out.strip_prefix(PREFACE).expect("client preface");
    assert!(
        parse_frames(frames)
            .iter()
            .any(|f| matches!(f, Frame::GoAway(g) if g.code == ErrorCode::PROTOCOL_ERROR))
    );
}

#[test]
fn a_value_other_than_zero_or_one_is_a_connection_error() {
    let mut s = Server::new();
    s.feed(&settings(&[(0x8, 2)]));
    assert_eq!(s.goaway().map(|g| g.1), Some(ErrorCode::PROTOCOL_ERROR));
    assert!(s.result.is_err());
}

#[test]
fn a_server_never_takes_the_setting_back() {
    let mut p = Pair::with(Config::client(), server_config());
    let mut settings = *p.server.local_settings();
    settings.enable_connect_protocol = false;
    settings.max_concurrent_streams = Some(10);
    p.server.update_settings(p.now, settings);
    p.drive();
    assert!(
        p.client.error().is_none(),
        "{:?}",
        p.client.error().cloned()
    );
    assert!(p.client.peer_settings().enable_connect_protocol);
    assert_eq!(p.client.peer_settings().max_concurrent_streams, Some(10));
    assert!(p.server.local_settings().enable_connect_protocol);
}

// ---- the request, as the server sees it -------------------------------------------

#[test]
fn the_server_reports_an_extended_connect_with_its_protocol() {
    let mut p = Pair::with(Config::client(), server_config());
    let (_, headers, kind) = send_websocket_request(&mut p);
    assert_eq!(headers, websocket_request());
    assert_eq!(kind.protocol(&headers), Some(&b"websocket"[..]));
    assert!(matches!(
        kind,
        HeadersKind::Request {
            extended_connect: true,
            content_length: None,
            is_head: false,
        }
    ));
    // An ordinary request has none.
    let get = [
        Header::new(":method", "GET"),
        Header::new(":scheme", "https"),
        Header::new(":path", "/"),
        Header::new(":authority", "example.com"),
    ];
    let id = p.client.open_stream().unwrap();
    p.client.send_headers(id, &get, true).unwrap();
    p.drive();
    let (_, headers, kind) = request_of(&p.take_server_events()).expect("request");
    assert_eq!(kind.protocol(&headers), None);
    assert!(matches!(
        kind,
        HeadersKind::Request {
            extended_connect: false,
            ..
        }
    ));
}

#[test]
fn a_server_accepts_extended_connect_before_the_client_acknowledged_the_setting() {
    // The client may use the setting as soon as it has read it (RFC 8441 §3); its
    // acknowledgement may well arrive after the request.
    let mut s = Server::with_config(server_config());
    s.respond = false;
    s.feed(&cat(&[
        PREFACE.to_vec(),
        settings(&[]),
        headers(1, &block(WS), END_HEADERS),
        settings_ack(),
    ]));
    assert!(s.result.is_ok(), "{:?}", s.result);
    assert!(s.resets().is_empty(), "{:?}", s.resets());
    assert!(request_of(&s.events).is_some());
}

#[test]
fn protocol_is_refused_where_the_rfc_does_not_allow_it() {
    let without = |name: &str| -> Vec<(&'static str, &'static str)> {
        WS.iter().copied().filter(|(n, _)| *n != name).collect()
    };
    let mut get_with_protocol = WS.to_vec();
    get_with_protocol[0] = (":method", "GET");
    let mut empty_protocol = WS.to_vec();
    empty_protocol[1] = (":protocol", "");
    let mut repeated = WS.to_vec();
    repeated.insert(2, (":protocol", "websocket"));
    let mut late = without(":protocol");
    late.push(("sec-websocket-version", "13"));
    late.push((":protocol", "websocket"));
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("no :scheme", without(":scheme")),
        ("no :path", without(":path")),
        ("no :authority", without(":authority")),
        (":protocol on GET", get_with_protocol),
        ("empty :protocol", empty_protocol),
        ("repeated :protocol", repeated),
        (":protocol after a regular field", late),
    ];
    for (what, fields) in cases {
        let mut s = Server::handshaken(server_config());
        s.feed(&headers(1, &block(&fields), END_HEADERS));
        assert_eq!(
            s.resets(),
            vec![(StreamId::new(1), ErrorCode::PROTOCOL_ERROR)],
            "{what}"
        );
        assert!(
            s.result.is_ok(),
            "{what}: a stream error, not a connection error"
        );
        assert!(request_of(&s.events).is_none(), "{what}");
    }
}

#[test]
fn protocol_is_refused_by_a_server_that_did_not_advertise_it() {
    let mut s = Server::new();
    s.feed(&headers(1, &block(WS), END_HEADERS));
    assert_eq!(
        s.resets(),
        vec![(StreamId::new(1), ErrorCode::PROTOCOL_ERROR)]
    );
    assert!(s.result.is_ok());
}

#[test]
fn a_push_promise_never_carries_protocol() {
    let now = epoch();
    let mut config = Config::client();
    config.local.enable_push = true;
    config.local.enable_connect_protocol = true;
    let mut client = Connection::new(now, config);
    let id = client.open_stream().unwrap();
    let get = [
        Header::new(":method", "GET"),
        Header::new(":scheme", "http"),
        Header::new(":path", "/"),
        Header::new(":authority", "localhost"),
    ];
    client.send_headers(id, &get, true).unwrap();
    let mut promise = 2u32.to_be_bytes().to_vec();
    promise.extend(block(WS));
    client.recv(
        now,
        &cat(&[
            settings(&[(0x8, 1)]),
            settings_ack(),
            raw(PUSH_PROMISE, END_HEADERS, 1, &promise),
        ]),
    );
    let mut out = Vec::new();
    while let Some(b) = client.poll_transmit() {
        out.extend_from_slice(&b);
    }
    let frames = out.strip_prefix(PREFACE).expect("client preface");
    assert!(parse_frames(frames).iter().any(|f| matches!(
        f,
        Frame::RstStream(r) if r.stream == StreamId::new(2) && r.code == ErrorCode::PROTOCOL_ERROR
    )));
}

// ---- the tunnel -----------------------------------------------------------------------

#[test]
fn data_flows_both_ways_and_end_stream_closes_each_direction() {
    let (mut p, id) = open_tunnel();
    // Several frames each way, larger than one frame and interleaved.
    let up = bytes_of(40_000);
    let down = bytes_of(50_000);
    assert_eq!(p.client.send_data(id, up.clone(), false), Ok(up.len()));
    assert_eq!(p.server.send_data(id, down.clone(), false), Ok(down.len()));
    p.drive();
    let server_events = p.take_server_events();
    let client_events = p.take_client_events();
    assert_eq!(body_of(&server_events, id), up);
    assert_eq!(body_of(&client_events, id), down);
    for e in server_events.iter().chain(&client_events) {
        if let Event::Data {
            stream, flow_len, ..
        } = e
        {
            if server_events.contains(e) {
                p.server.release_capacity(*stream, *flow_len);
            } else {
                p.client.release_capacity(*stream, *flow_len);
            }
        }
    }
    // The client ends its direction; the server may keep sending.
    p.client
        .send_data(id, Bytes::from_static(b"bye"), true)
        .unwrap();
    p.drive();
    assert!(p.take_server_events().iter().any(|e| matches!(
        e,
        Event::Data { end_stream: true, data, .. } if &data[..] == b"bye"
    )));
    p.server
        .send_data(id, Bytes::from_static(b"late"), false)
        .unwrap();
    p.server.send_data(id, Bytes::new(), true).unwrap();
    p.drive();
    let events = p.take_client_events();
    assert_eq!(body_of(&events, id), b"late");
    assert!(events.iter().any(|e| matches!(
        e,
        Event::Data {
            end_stream: true,
            ..
        }
    )));
    assert_eq!(p.client.stream_state(id), None);
    assert_eq!(p.server.stream_state(id), None);
    assert!(p.client.error().is_none() && p.server.error().is_none());
}

#[test]
fn flow_control_holds_the_tunnel_back_until_capacity_is_released() {
    let (mut p, id) = open_tunnel();
    let window = p.server.stream_send_window(id).unwrap() as usize;
    let big = bytes_of(window + 1000);
    let taken = p.server.send_data(id, big.clone(), false).unwrap();
    assert_eq!(taken, window);
    p.drive();
    let events = p.take_client_events();
    let got: usize = events
        .iter()
        .filter_map(|e| match e {
            Event::Data { flow_len, .. } => Some(*flow_len),
            _ => None,
        })
        .sum();
    assert_eq!(got, window);
    p.client.release_capacity(id, got);
    p.drive();
    assert!(
        p.take_server_events()
            .iter()
            .any(|e| matches!(e, Event::SendCapacity { stream } if *stream == id))
    );
    assert_eq!(p.server.send_data(id, big.slice(taken..), false), Ok(1000));
}

#[test]
fn an_idle_tunnel_is_not_a_stalled_body() {
    // A WebSocket may be silent for minutes: once the 2xx is out, the body timeout of
    // an upload does not apply (its liveness is the tunnelled protocol's business).
    let (mut p, id) = open_tunnel();
    p.advance(Duration::from_secs(600));
    assert!(p.take_server_events().is_empty());
    assert_eq!(
        p.server.stream_state(id),
        Some(weft_http2::StreamState::Open)
    );
    assert!(
        p.server
            .send_data(id, Bytes::from_static(b"still here"), false)
            .is_ok()
    );
    p.drive();
    assert_eq!(body_of(&p.take_client_events(), id), b"still here");
}

#[test]
fn a_tunnel_has_no_content_length() {
    // RFC 9110 §9.3.6: a 2xx response to CONNECT carries no Content-Length; a server
    // does not send one.
    let mut p = Pair::with(Config::client(), server_config());
    let (id, _, _) = send_websocket_request(&mut p);
    let with_length = [
        Header::new(":status", "200"),
        Header::new("content-length", "0"),
    ];
    assert_eq!(
        p.server.send_headers(id, &with_length, false),
        Err(SendError::InvalidHeader)
    );
    // A refusal is an ordinary response, whose length counts.
    let refusal = [
        Header::new(":status", "400"),
        Header::new("content-length", "2"),
    ];
    p.server.send_headers(id, &refusal, false).unwrap();
    assert_eq!(
        p.server.send_data(id, Bytes::from_static(b"abc"), true),
        Err(SendError::ContentLengthMismatch)
    );
}

#[test]
fn a_client_ignores_content_length_on_a_2xx_to_connect() {
    // RFC 9110 §9.3.6: "A client MUST ignore any Content-Length ... received in a
    // successful response to CONNECT."
    let now = epoch();
    let mut client = Connection::new(now, Config::client());
    client.recv(now, &cat(&[settings(&[(0x8, 1)]), settings_ack()]));
    let id = client.open_stream().unwrap();
    client
        .send_headers(id, &websocket_request(), false)
        .unwrap();
    client.recv(
        now,
        &cat(&[
            headers(
                1,
                &block(&[(":status", "200"), ("content-length", "1")]),
                END_HEADERS,
            ),
            data(1, b"tunnelled bytes", false),
        ]),
    );
    assert!(client.error().is_none());
    let mut events = Vec::new();
    while let Some(e) = client.poll_event() {
        events.push(e);
    }
    assert_eq!(body_of(&events, id), b"tunnelled bytes");
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::StreamReset { .. }))
    );
}

#[test]
fn hpack_carries_protocol_in_and_out_of_the_dynamic_table() {
    // `:protocol` is not in the static table (RFC 7541 Appendix A): it travels as a
    // literal the first time, then from the dynamic table.
    let mut p = Pair::with(Config::client(), server_config());
    for _ in 0..3 {
        let (id, headers, kind) = send_websocket_request(&mut p);
        assert_eq!(headers, websocket_request());
        assert_eq!(kind.protocol(&headers), Some(&b"websocket"[..]));
        p.client.reset_stream(p.now, id, ErrorCode::CANCEL).unwrap();
        p.drive();
    }
}
