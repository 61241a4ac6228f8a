//! proptest: any split of the input gives the same events (and the same error), random
//! valid message streams parse to exactly what was generated, and heads survive
//! serialize-then-parse.

mod common;

use bytes::{BufMut, Bytes, BytesMut};
use common::{drain, now};
use proptest::prelude::*;
use weft_http1::{
    Config, Connection, Field, HeaderMap, Limits, RecvError, RequestHead, ResponseHead, Role,
    Status, Version, parse_request_head, parse_response_head, write_request_head,
    write_response_head,
};

/// Drives a server over `chunks`, answering each request with an empty 200 so pipelined
/// requests keep flowing; ends with EOF. Returns the transcript and any error.
fn run_server(chunks: &[&[u8]], config: Config) -> (Vec<String>, Option<RecvError>) {
    let mut conn = Connection::new(
        now(),
        Config {
            role: Role::Server,
            ..config
        },
    );
    let mut transcript: Vec<String> = Vec::new();
    let last = chunks.len().saturating_sub(1);
    for (i, chunk) in chunks.iter().enumerate() {
        conn.recv(now(), chunk);
        if i == last {
            conn.recv_eof(now());
        }
        loop {
            let (events, error) = drain(&mut conn);
            // Re-join Data split across reads so transcripts compare.
            for event in events {
                let merged = match (transcript.last_mut(), event.strip_prefix("Data ")) {
                    (Some(prev), Some(more)) if prev_is_data(prev) => {
                        prev.push_str(more);
                        true
                    }
                    _ => false,
                };
                if !merged {
                    transcript.push(event);
                }
            }
            if error.is_some() {
                return (transcript, error);
            }
            if conn.their_state() == weft_http1::State::Done
                && conn.our_state() == weft_http1::State::SendResponse
            {
                conn.send_response(&ResponseHead::new(200).with_header("Content-Length", "0"))
                    .unwrap();
                conn.send_end(None).unwrap();
                while conn.poll_transmit().is_some() {}
                if conn.start_next_cycle(now()).is_ok() {
                    continue;
                }
            }
            break;
        }
    }
    (transcript, None)
}

fn prev_is_data(s: &str) -> bool {
    s.starts_with("Data ")
}

fn split_at_points<'a>(input: &'a [u8], points: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = points.iter().map(|p| p % (input.len() + 1)).collect();
    cuts.sort_unstable();
    let mut out = Vec::new();
    let mut start = 0;
    for cut in cuts {
        out.push(&input[start..cut]);
        start = cut;
    }
    out.push(&input[start..]);
    out
}

#[derive(Clone, Debug)]
enum Body {
    None,
    Length(Vec<u8>),
    Chunked(Vec<Vec<u8>>, Vec<(String, String)>),
}

#[derive(Clone, Debug)]
struct Message {
    method: &'static str,
    target: String,
    headers: Vec<(String, String)>,
    body: Body,
}

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]{0,15}".prop_filter(
        "framing fields are generated separately",
        |n| {
            ![
                "host",
                "content-length",
                "transfer-encoding",
                "connection",
                "expect",
                "upgrade",
                "te",
            ]
            .contains(&n.to_ascii_lowercase().as_str())
        },
    )
}

fn value() -> impl Strategy<Value = String> {
    // VCHAR and obs-text-free UTF-8 would be fine too; keep ASCII with inner whitespace.
    "([!-~]([ \t!-~]{0,30}[!-~])?)?"
}

fn message() -> impl Strategy<Value = Message> {
    let method = prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]);
    let body = prop_oneof![
        Just(Body::None),
        prop::collection::vec(any::<u8>(), 0..300).prop_map(Body::Length),
        (
            prop::collection::vec(prop::collection::vec(any::<u8>(), 1..100), 0..5),
            prop::collection::vec((token(), value()), 0..3)
        )
            .prop_map(|(chunks, trailers)| Body::Chunked(chunks, trailers)),
    ];
    (
        method,
        "/[a-zA-Z0-9/._~%?=&-]{0,40}",
        prop::collection::vec((token(), value()), 0..8),
        body,
    )
        .prop_map(|(method, target, headers, body)| Message {
            method,
            target,
            headers,
            body,
        })
}

fn fields_text(fields: &[(String, String)]) -> String {
    fields
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("|")
}

/// The wire bytes of `m` and the transcript a server must produce for it.
fn encode(m: &Message, ext: bool) -> (Vec<u8>, Vec<String>) {
    let mut wire = format!("{} {} HTTP/1.1\r\n", m.method, m.target).into_bytes();
    let mut fields = vec![("Host".to_string(), "example.com".to_string())];
    fields.extend(m.headers.iter().cloned());
    match &m.body {
        Body::None => {}
        Body::Length(b) => fields.push(("Content-Length".into(), b.len().to_string())),
        Body::Chunked(..) => fields.push(("Transfer-Encoding".into(), "chunked".into())),
    }
    for (n, v) in &fields {
        wire.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
    }
    wire.extend_from_slice(b"\r\n");
    let mut transcript = vec![format!(
        "Request {} {} Http11 [{}]",
        m.method,
        m.target,
        fields_text(&fields)
    )];
    let mut data = Vec::new();
    let mut end = "End".to_string();
    match &m.body {
        Body::None => {}
        Body::Length(b) => {
            wire.extend_from_slice(b);
            data.extend_from_slice(b);
        }
        Body::Chunked(chunks, trailers) => {
            for c in chunks {
                let e = if ext { ";name=\"v\\\"al\" ; flag" } else { "" };
                wire.extend_from_slice(format!("{:X}{e}\r\n", c.len()).as_bytes());
                wire.extend_from_slice(c);
                wire.extend_from_slice(b"\r\n");
                data.extend_from_slice(c);
            }
            wire.extend_from_slice(b"0\r\n");
            for (n, v) in trailers {
                wire.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
            }
            wire.extend_from_slice(b"\r\n");
            if !trailers.is_empty() {
                end = format!("End [{}]", fields_text(trailers));
            }
        }
    }
    if !data.is_empty() {
        transcript.push(format!("Data {}", data.escape_ascii()));
    }
    transcript.push(end);
    (wire, transcript)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn valid_streams_parse_exactly_under_any_split(
        messages in prop::collection::vec(message(), 1..4),
        points in prop::collection::vec(any::<usize>(), 0..12),
        ext in any::<bool>(),
    ) {
        let mut wire = Vec::new();
        let mut expected = Vec::new();
        for m in &messages {
            let (w, t) = encode(m, ext);
            wire.extend(w);
            expected.extend(t);
        }
        expected.push("Closed".into());
        let whole = run_server(&[&wire], Config::server());
        prop_assert_eq!(&whole, &(expected, None));
        let split = run_server(&split_at_points(&wire, &points), Config::server());
        prop_assert_eq!(split, whole);
        let bytewise: Vec<&[u8]> = wire.chunks(1).collect();
        prop_assert_eq!(run_server(&bytewise, Config::server()), run_server(&[&wire], Config::server()));
    }

    #[test]
    fn mutated_streams_give_the_same_result_under_any_split(
        message in message(),
        mutations in prop::collection::vec((any::<usize>(), any::<u8>()), 1..4),
        points in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        let (mut wire, _) = encode(&message, true);
        for (at, byte) in mutations {
            let at = at % wire.len();
            wire[at] = byte;
        }
        let small = Config { limits: Limits { max_head_bytes: 256, ..Limits::default() }, ..Config::server() };
        for config in [Config::server(), small] {
            let whole = run_server(&[&wire], config);
            let split = run_server(&split_at_points(&wire, &points), config);
            prop_assert_eq!(split, whole);
        }
    }

    #[test]
    fn arbitrary_bytes_give_the_same_result_under_any_split(
        prefix in prop::sample::select(vec![&b""[..], b"GET / HTTP/1.1\r\nHost: a\r\n", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"]),
        bytes in prop::collection::vec(prop::sample::select(b"\r\n :;\t0a5Ff=\"\\GET/HTTP1.xX\0\x7f\x80".to_vec()), 0..120),
        points in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let mut wire = prefix.to_vec();
        wire.extend(bytes);
        let whole = run_server(&[&wire], Config::server());
        let split = run_server(&split_at_points(&wire, &points), Config::server());
        prop_assert_eq!(split, whole);
    }

    #[test]
    fn request_heads_round_trip(
        method in prop::sample::select(vec!["GET", "POST", "M-SEARCH", "PROPFIND"]),
        target in "[!-~]{1,60}",
        headers in prop::collection::vec((token(), value()), 0..10),
        http10 in any::<bool>(),
    ) {
        let mut head = RequestHead::new(method, target);
        head.version = if http10 { Version::Http10 } else { Version::Http11 };
        head.headers = headers.iter().map(|(n, v)| (n.clone(), v.clone())).collect::<HeaderMap>();
        let mut wire = BytesMut::new();
        write_request_head(&head, &mut wire).unwrap();
        wire.put_slice(b"trailing body");
        let mut fields: Vec<Field> = Vec::new();
        let Status::Complete(parsed) = parse_request_head(&wire, &Config::server(), &mut fields).unwrap() else {
            panic!("partial");
        };
        let wire = wire.freeze();
        prop_assert_eq!(&wire[parsed.head_len..], b"trailing body");
        prop_assert_eq!(parsed.method.of(&wire), head.method.as_ref());
        prop_assert_eq!(parsed.target.of(&wire), head.target.as_ref());
        prop_assert_eq!(parsed.version, head.version);
        let got: HeaderMap = fields.iter().map(|f| (Bytes::copy_from_slice(f.name.of(&wire)), Bytes::copy_from_slice(f.value.of(&wire)))).collect();
        prop_assert_eq!(got, head.headers);
    }

    #[test]
    fn response_heads_round_trip(
        status in 100u16..=999,
        reason in "([!-~]([ \t!-~]{0,20})?)?",
        headers in prop::collection::vec((token(), value()), 0..10),
    ) {
        let mut head = ResponseHead::new(status);
        head.reason = reason.into();
        head.headers = headers.iter().map(|(n, v)| (n.clone(), v.clone())).collect::<HeaderMap>();
        let mut wire = BytesMut::new();
        write_response_head(&head, &mut wire).unwrap();
        let mut fields = Vec::new();
        let Status::Complete(parsed) = parse_response_head(&wire, &Config::server(), &mut fields).unwrap() else {
            panic!("partial");
        };
        prop_assert_eq!(parsed.head_len, wire.len());
        prop_assert_eq!(parsed.status, status);
        prop_assert_eq!(parsed.reason.of(&wire), head.reason.as_ref());
        prop_assert_eq!(fields.len(), head.headers.len());
        // Every proper prefix is partial, never an error.
        for cut in 0..wire.len() {
            prop_assert_eq!(parse_response_head(&wire[..cut], &Config::server(), &mut fields), Ok(Status::Partial));
        }
    }
}
