//! Properties: any split of the input gives the same events, and random messages with
//! random fragmentation survive the trip, with and without permessage-deflate.

mod common;

use bytes::Bytes;
use common::events;
use proptest::prelude::*;
use ws_proto::{Config, Connection, DataKind, DeflateParams, Event, MessageMode};

#[derive(Debug, Clone)]
enum Msg {
    /// A message and the sizes of its fragments (the last takes the rest).
    Data(DataKind, Vec<u8>, Vec<usize>),
    Ping(Vec<u8>),
}

fn msg() -> impl Strategy<Value = Msg> {
    prop_oneof![
        4 => (
            any::<bool>(),
            prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..300),
                any::<String>().prop_map(String::into_bytes),
                (1usize..70_000, any::<u8>()).prop_map(|(n, b)| vec![b; n]),
            ],
            proptest::collection::vec(0usize..200, 0..4)
        )
            .prop_map(|(text, bytes, cuts)| {
                if text {
                    // Text must be UTF-8 as a whole; pieces may split characters.
                    let s = String::from_utf8_lossy(&bytes).into_owned();
                    Msg::Data(DataKind::Text, s.into_bytes(), cuts)
                } else {
                    Msg::Data(DataKind::Binary, bytes, cuts)
                }
            }),
        1 => proptest::collection::vec(any::<u8>(), 0..=125).prop_map(Msg::Ping),
    ]
}

fn params() -> impl Strategy<Value = Option<DeflateParams>> {
    prop_oneof![
        Just(None),
        (any::<bool>(), any::<bool>(), 8u8..=15, 8u8..=15, 0u32..=9).prop_map(
            |(s, c, sw, cw, level)| Some(DeflateParams {
                server_no_context_takeover: s,
                client_no_context_takeover: c,
                server_max_window_bits: sw,
                client_max_window_bits: cw,
                level,
            })
        ),
    ]
}

/// What the client sends, as bytes, and the events a whole-message server should report.
fn send_all(deflate: Option<DeflateParams>, msgs: &[Msg]) -> (Vec<u8>, Vec<Event>) {
    let mut client = Connection::new(
        common::epoch(),
        Config {
            deflate,
            ..Config::client()
        },
    );
    let mut expected = Vec::new();
    for m in msgs {
        match m {
            Msg::Data(kind, data, cuts) => {
                let mut rest = &data[..];
                for &cut in cuts {
                    let (piece, tail) = rest.split_at(cut.min(rest.len()));
                    client.send_fragment(*kind, piece, false).unwrap();
                    rest = tail;
                }
                client.send_fragment(*kind, rest, true).unwrap();
                let data = Bytes::from(data.clone());
                expected.push(match kind {
                    DataKind::Text => Event::Text(data),
                    DataKind::Binary => Event::Binary(data),
                });
            }
            Msg::Ping(p) => {
                client.send_ping(p).unwrap();
                expected.push(Event::Ping(Bytes::from(p.clone())));
            }
        }
    }
    let wire = std::iter::from_fn(|| client.poll_transmit())
        .flat_map(|b| b.to_vec())
        .collect();
    (wire, expected)
}

fn receive(config: Config, wire: &[u8], cuts: &[usize]) -> Vec<Event> {
    let now = common::epoch();
    let mut server = Connection::new(now, config);
    let mut got = Vec::new();
    let mut rest = wire;
    for &cut in cuts {
        let (piece, tail) = rest.split_at(cut.min(rest.len()));
        server.recv(now, piece);
        got.extend(events(&mut server));
        rest = tail;
    }
    server.recv(now, rest);
    got.extend(events(&mut server));
    got
}

/// Joins streamed pieces back into whole messages.
fn join(events: Vec<Event>) -> Vec<Event> {
    let mut out = Vec::new();
    let mut buf = Vec::new();
    for e in events {
        match e {
            Event::Fragment { kind, data, fin } => {
                buf.extend_from_slice(&data);
                if fin {
                    let data = Bytes::from(std::mem::take(&mut buf));
                    out.push(match kind {
                        DataKind::Text => Event::Text(data),
                        DataKind::Binary => Event::Binary(data),
                    });
                }
            }
            other => out.push(other),
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn round_trip_and_any_split(
        deflate in params(),
        msgs in proptest::collection::vec(msg(), 0..8),
        cuts in proptest::collection::vec(0usize..600, 0..12),
    ) {
        let (wire, expected) = send_all(deflate, &msgs);
        let config = Config { deflate, ..Config::server() };
        let whole = receive(config.clone(), &wire, &[]);
        prop_assert_eq!(&whole, &expected);
        let split = receive(config.clone(), &wire, &cuts);
        prop_assert_eq!(&split, &expected);
        let streamed = receive(Config { mode: MessageMode::Streaming, ..config }, &wire, &cuts);
        prop_assert_eq!(join(streamed), expected);
    }

    /// Arbitrary bytes never panic, and any split of them gives the same events.
    #[test]
    fn garbage_splits_alike(
        deflate in params(),
        wire in proptest::collection::vec(any::<u8>(), 0..400),
        cuts in proptest::collection::vec(0usize..50, 0..12),
    ) {
        let config = Config { deflate, ..Config::server() };
        prop_assert_eq!(receive(config.clone(), &wire, &[]), receive(config, &wire, &cuts));
    }
}
