//! Shared helpers for the integration tests (included with `mod common;`).
#![allow(dead_code)]

use std::sync::OnceLock;
use std::time::Instant;

use weft_http1::{Connection, Event, RecvError};

/// The origin of the tests' virtual clock: the connection only compares the instants it
/// is given, so any instant works.
pub(crate) fn now() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    #[allow(clippy::disallowed_methods)]
    *EPOCH.get_or_init(Instant::now)
}

/// `poll_event` in the shape of a sticky result: the terminal
/// [`Event::ConnectionLost`] (and, after it, [`Connection::error`]) as `Err`.
pub(crate) fn poll(conn: &mut Connection) -> Result<Option<Event>, RecvError> {
    match conn.poll_event() {
        Some(Event::ConnectionLost(error)) => Err(error),
        Some(event) => Ok(Some(event)),
        None => conn.error().map_or(Ok(None), |error| Err(*error)),
    }
}

/// A compact, comparable rendering of an event.
pub(crate) fn describe(event: &Event) -> String {
    fn fields(h: &weft_http1::HeaderMap) -> String {
        h.iter()
            .map(|(n, v)| {
                format!(
                    "{}={}",
                    String::from_utf8_lossy(n),
                    String::from_utf8_lossy(v)
                )
            })
            .collect::<Vec<_>>()
            .join("|")
    }
    match event {
        Event::Request(r) => format!(
            "Request {} {} {:?} [{}]",
            String::from_utf8_lossy(&r.method),
            String::from_utf8_lossy(&r.target),
            r.version,
            fields(&r.headers)
        ),
        Event::Response(r) => format!(
            "Response {} {} {:?} [{}]",
            r.status,
            String::from_utf8_lossy(&r.reason),
            r.version,
            fields(&r.headers)
        ),
        Event::Informational(r) => format!("Informational {} [{}]", r.status, fields(&r.headers)),
        Event::Data(d) => format!("Data {}", d.escape_ascii()),
        Event::EndOfMessage { trailers: None } => "End".to_string(),
        Event::EndOfMessage { trailers: Some(t) } => format!("End [{}]", fields(t)),
        Event::ConnectionClosed => "Closed".to_string(),
        other => format!("{other:?}"),
    }
}

/// Polls until `Ok(None)` or an error, merging adjacent `Data` so that results do not
/// depend on how the input was split.
pub(crate) fn drain(conn: &mut Connection) -> (Vec<String>, Option<RecvError>) {
    let mut out: Vec<String> = Vec::new();
    loop {
        match poll(conn) {
            Ok(Some(Event::Data(d))) => {
                let text = d.escape_ascii().to_string();
                match out.last_mut() {
                    Some(last) if last.starts_with("Data ") => last.push_str(&text),
                    _ => out.push(format!("Data {text}")),
                }
            }
            Ok(Some(event)) => out.push(describe(&event)),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e)),
        }
    }
}
