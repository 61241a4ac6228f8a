//! Properties: any split of the peer's bytes gives the same events; random messages
//! survive a round trip through a client and a server, whatever order the QPACK
//! streams and request streams arrive in.

mod support;

use bytes::Bytes;
use http3_proto::{Config, Connection, Event, Header, StreamId, Target};
use proptest::prelude::*;
use support::pair::Pair;
use support::{CLIENT_UNI_0, control_preface, data_frame, epoch, frame, h, headers_frame};

/// Feeds `stream` to a fresh server in pieces cut at `cuts`, and returns the events.
fn events_for(stream: &[u8], cuts: &[usize]) -> Vec<Event> {
    let now = epoch();
    let mut conn = Connection::new(now, Config::server());
    conn.recv_stream_data(now, CLIENT_UNI_0, Bytes::from(control_preface()), false);
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (stream.len() + 1)).collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut at = 0;
    for cut in cuts.into_iter().chain([stream.len()]) {
        let fin = cut == stream.len();
        conn.recv_stream_data(
            now,
            StreamId(0),
            Bytes::copy_from_slice(&stream[at..cut]),
            fin,
        );
        at = cut;
    }
    let mut events = Vec::new();
    while let Some(e) = conn.poll_event() {
        events.push(e);
    }
    // Body chunks may be cut differently; what they add up to may not.
    let mut merged: Vec<Event> = Vec::new();
    for e in events {
        if let (
            Some(Event::Data {
                stream: a,
                data: prev,
                end_stream: end_prev,
            }),
            Event::Data {
                stream: b,
                data,
                end_stream,
            },
        ) = (merged.last_mut(), &e)
            && *a == *b
        {
            *prev = [prev.as_ref(), data.as_ref()].concat().into();
            *end_prev |= end_stream;
            continue;
        }
        merged.push(e);
    }
    merged
}

fn token() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,12}"
}

fn value() -> impl Strategy<Value = String> {
    "[ -~]{0,40}".prop_map(|v| v.trim().to_owned())
}

fn fields() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((token(), value()), 0..8).prop_map(|v| {
        v.into_iter()
            .filter(|(n, _)| !http_core_specific(n))
            .collect()
    })
}

/// Fields HTTP/3 forbids in a message (RFC 9114 §4.2), left out of random ones.
fn http_core_specific(name: &str) -> bool {
    matches!(
        name,
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "transfer-encoding"
            | "upgrade"
            | "te"
            | "content-length"
    )
}

fn request_fields(extra: &[(String, String)]) -> Vec<Header> {
    let mut v = vec![
        h(":method", "POST"),
        h(":scheme", "https"),
        h(":authority", "example.com"),
        h(":path", "/p"),
    ];
    v.extend(extra.iter().map(|(n, val)| h(n, val)));
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_split_gives_the_same_events(
        extra in fields(),
        bodies in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..5),
        trailers in prop::option::of(fields()),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        let refs: Vec<(&str, &str)> = [
            (":method", "POST"), (":scheme", "https"), (":authority", "a"), (":path", "/"),
        ]
        .into_iter()
        .chain(extra.iter().map(|(n, v)| (n.as_str(), v.as_str())))
        .collect();
        let mut stream = frame(0x21, b"grease");
        stream.extend(headers_frame(&refs));
        for body in &bodies {
            stream.extend(data_frame(body));
        }
        if let Some(t) = &trailers {
            let t: Vec<(&str, &str)> = t.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            stream.extend(headers_frame(&t));
        }
        let whole = events_for(&stream, &[]);
        prop_assert!(!whole.iter().any(|e| matches!(e, Event::ConnectionLost(_))), "{whole:?}");
        prop_assert_eq!(events_for(&stream, &cuts), whole);
    }

    #[test]
    fn messages_round_trip_with_streams_in_any_order(
        requests in prop::collection::vec(
            (fields(), prop::collection::vec(prop::collection::vec(any::<u8>(), 1..2000), 0..4), prop::option::of(fields())),
            1..6,
        ),
        hold_encoder in any::<bool>(),
    ) {
        let mut pair = Pair::with(Config::client(), Config::server());
        if hold_encoder {
            pair.client.hold = Some(Target::QpackEncoder);
        }
        let mut sent = Vec::new();
        for (extra, bodies, trailers) in &requests {
            let headers = request_fields(extra);
            let id = pair.request(&headers, false).unwrap();
            for body in bodies {
                pair.client.conn.send_data(id, Bytes::copy_from_slice(body), false).unwrap();
            }
            let trailers: Vec<Header> = trailers.iter().flatten().map(|(n, v)| h(n, v)).collect();
            if trailers.is_empty() {
                pair.client.conn.send_data(id, Bytes::new(), true).unwrap();
            } else {
                pair.client.conn.send_trailers(id, &trailers).unwrap();
            }
            sent.push((id, headers, bodies.concat(), trailers));
        }
        pair.run();
        let now = pair.now;
        support::pair::Pair::release(now, &mut pair.client, &mut pair.server);
        pair.run();
        let events = pair.server.take_events();
        prop_assert!(pair.server.conn.error().is_none(), "{:?}", pair.server.conn.error());
        for (id, headers, body, trailers) in sent {
            let mut sections = Vec::new();
            let mut got = Vec::new();
            let mut ended = false;
            for e in &events {
                match e {
                    Event::Headers { stream, headers, end_stream, .. } if *stream == id => {
                        sections.push(headers.clone());
                        ended |= end_stream;
                    }
                    Event::Data { stream, data, end_stream } if *stream == id => {
                        got.extend_from_slice(data);
                        ended |= end_stream;
                    }
                    _ => {}
                }
            }
            prop_assert!(ended);
            prop_assert_eq!(&sections[0], &headers);
            prop_assert!(got == body);
            if !trailers.is_empty() {
                prop_assert_eq!(&sections[1], &trailers);
            }
        }
        prop_assert!(pair.client.conn.error().is_none());
    }
}
