//! Shared helpers for the integration tests (included with `mod common;`).
#![allow(dead_code)]

use http1_proto::{Connection, Event, RecvError};

/// A compact, comparable rendering of an event.
pub(crate) fn describe(event: &Event) -> String {
    fn fields(h: &http1_proto::HeaderMap) -> String {
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
        match conn.poll_event() {
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
