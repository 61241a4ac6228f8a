//! `conformance h2`: the HTTP/2 conformance catalogue
//! (summerwind/h2spec's catalogue, the 147 cases of its `generic`, `http2`
//! and `hpack` groups), each on its own connection, several at a time.

mod conn;
mod generic;
mod hpack;
mod http2;
pub(crate) mod rfc8441;
mod verify;

use std::sync::OnceLock;

use bytes::Bytes;

use crate::catalogue::{self, Planned};
use crate::frame::Headers;
use crate::header_block;
use crate::report::{CaseReport, Failure};
use crate::transport::{self, Target};
use conn::{Conn, Event, Events};
use verify::CaseResult;

/// One case of the catalogue.
#[derive(Debug)]
pub(crate) struct Case {
    desc: &'static str,
    requirement: &'static str,
    /// Only run with `--strict` (h2spec's `-S`); it still takes its sequence number.
    strict: bool,
    run: fn(&mut Ctx<'_>) -> CaseResult,
}

/// A group heading and the cases directly under it, numbered from 1.
#[derive(Debug)]
pub(crate) struct Section {
    /// `http2/5.1.1`, or the spec key alone for a root.
    id: &'static str,
    title: &'static str,
    cases: Vec<Case>,
}

fn case(
    desc: &'static str,
    requirement: &'static str,
    run: fn(&mut Ctx<'_>) -> CaseResult,
) -> Case {
    Case {
        desc,
        requirement,
        strict: false,
        run,
    }
}

fn strict_case(
    desc: &'static str,
    requirement: &'static str,
    run: fn(&mut Ctx<'_>) -> CaseResult,
) -> Case {
    Case {
        desc,
        requirement,
        strict: true,
        run,
    }
}

fn section(id: &'static str, title: &'static str, cases: Vec<Case>) -> Section {
    Section { id, title, cases }
}

/// Every section in the order h2spec walks them.
pub(crate) fn catalogue() -> Vec<Section> {
    let mut all = generic::sections();
    all.extend(http2::sections());
    all.extend(hpack::sections());
    all
}

/// What a run needs besides the target.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) strict: bool,
    pub(crate) jobs: usize,
    /// The request path that answers 200 with a non-empty body (h2spec's `-P`).
    pub(crate) path: String,
    /// The path POST requests go to (h2spec uses `path` for both).
    pub(crate) post_path: String,
    /// h2spec-style selectors (`http2`, `http2/5.1`, `generic/3.10/2`); empty runs all.
    pub(crate) filters: Vec<String>,
    /// Also run the RFC 8441 cases, with a WebSocket echo at this path.
    pub(crate) extended_connect: Option<String>,
}

/// State shared by the cases of one run.
#[derive(Debug, Default)]
struct Shared {
    /// h2spec's `ServerDataLength`, measured once for the flow-control cases.
    data_length: OnceLock<Result<usize, String>>,
}

/// What a case body works with: its own connection and the run's settings.
#[derive(Debug)]
pub(crate) struct Ctx<'a> {
    conn: Conn,
    target: &'a Target,
    path: &'a str,
    post_path: &'a str,
    /// The WebSocket echo of the RFC 8441 cases.
    ws_path: &'a str,
    shared: &'a Shared,
}

impl Ctx<'_> {
    /// The connection preface exchange that precedes almost every case.
    fn handshake(&mut self) -> CaseResult {
        self.conn.handshake().map_err(|err| Failure::Error(err.0))
    }

    /// h2spec's `CommonHeaders`: a GET of the configured path.
    fn common(&self) -> Vec<(String, String)> {
        let (scheme, default_port) = if self.target.is_tls() {
            ("https", 443)
        } else {
            ("http", 80)
        };
        let authority = if self.target.port == default_port {
            self.target.host.clone()
        } else {
            self.target.authority()
        };
        vec![
            (":method".into(), "GET".into()),
            (":scheme".into(), scheme.into()),
            (":path".into(), self.path.into()),
            (":authority".into(), authority),
        ]
    }

    /// The common fields with `:method: POST` (and the POST path).
    fn post(&self) -> Vec<(String, String)> {
        let mut fields = self.common();
        fields[0].1 = "POST".into();
        fields[2].1 = self.post_path.into();
        fields
    }

    /// h2spec's `DummyHeaders`: `x-dummyN` fields of 4000 octets each.
    fn dummy(&self, count: usize) -> Vec<(String, String)> {
        (0..count)
            .map(|i| (format!("x-dummy{i}"), "x".repeat(4000)))
            .collect()
    }

    fn block<N: AsRef<[u8]>, V: AsRef<[u8]>>(&self, fields: &[(N, V)]) -> Bytes {
        header_block::encode(fields)
    }

    /// Total DATA octets of the response to a GET of the path, measured once.
    fn server_data_length(&self) -> Result<usize, Failure> {
        self.shared
            .data_length
            .get_or_init(|| measure_data_length(self.target, &self.common()))
            .clone()
            .map_err(Failure::Error)
    }
}

fn measure_data_length(target: &Target, fields: &[(String, String)]) -> Result<usize, String> {
    let stream = target.connect().map_err(|err| format!("connect: {err}"))?;
    let mut conn = Conn::new(stream, target.timeout);
    conn.handshake().map_err(|err| err.0)?;
    let block = header_block::encode(fields);
    conn.headers(&Headers {
        stream_id: 1,
        end_stream: true,
        end_headers: true,
        block: &block,
        ..Headers::default()
    });
    let mut len = 0;
    while !conn.is_done() {
        if let Event::Frame(frame) = conn.next_event() {
            if frame.kind == crate::frame::FrameType::DATA {
                len += frame.payload.len();
            }
            if frame.ends_stream() {
                return Ok(len);
            }
        }
    }
    Err("Unable to get server data length".into())
}

/// Runs the catalogue against `target` and prints the report; returns the
/// reports in catalogue order.
pub(crate) fn run(target: &Target, options: &Options) -> Vec<CaseReport> {
    let mut sections = catalogue();
    if options.extended_connect.is_some() {
        sections.extend(rfc8441::sections());
    }
    let listed: Vec<_> = sections
        .iter()
        .map(|s| (s.id, s.title, s.cases.as_slice()))
        .collect();
    let shared = Shared::default();
    catalogue::run(
        &listed,
        &options.filters,
        options.jobs,
        |case| !case.strict || options.strict,
        |planned| run_one(target, options, &shared, planned),
    )
}

fn run_one(
    target: &Target,
    options: &Options,
    shared: &Shared,
    planned: &Planned<'_, Case>,
) -> CaseReport {
    let started = transport::now();
    let result = match target.connect() {
        Ok(stream) => {
            let mut ctx = Ctx {
                conn: Conn::new(stream, target.timeout),
                target,
                path: &options.path,
                post_path: &options.post_path,
                ws_path: options.extended_connect.as_deref().unwrap_or("/"),
                shared,
            };
            (planned.case.run)(&mut ctx)
        }
        Err(err) => Err(Failure::Error(format!(
            "connect to {}: {err}",
            target.authority()
        ))),
    };
    planned.report(planned.case.desc, planned.case.requirement, result, started)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_has_147_cases_one_strict() {
        let sections = catalogue();
        let count = |spec: &str| {
            sections
                .iter()
                .filter(|s| s.id.split('/').next() == Some(spec))
                .map(|s| s.cases.len())
                .sum::<usize>()
        };
        assert_eq!(count("generic"), 44);
        assert_eq!(count("http2"), 95);
        assert_eq!(count("hpack"), 8);
        let strict: Vec<_> = sections
            .iter()
            .flat_map(|s| {
                s.cases
                    .iter()
                    .enumerate()
                    .map(move |(i, c)| (s.id, i + 1, c.strict))
            })
            .filter(|&(_, _, strict)| strict)
            .map(|(id, seq, _)| format!("{id}/{seq}"))
            .collect();
        assert_eq!(strict, ["http2/5.4.1/2"]);
    }

    #[test]
    fn rfc8441_cases_are_their_own_group() {
        let sections = rfc8441::sections();
        assert!(sections.iter().all(|s| s.id.starts_with("rfc8441")));
        assert_eq!(sections.iter().map(|s| s.cases.len()).sum::<usize>(), 8);
    }

    #[test]
    fn per_section_counts_match_the_catalogue() {
        let sections = catalogue();
        let count = |prefix: &str| {
            sections
                .iter()
                .filter(|s| s.id == prefix || s.id.starts_with(&format!("{prefix}.")))
                .map(|s| s.cases.len())
                .sum::<usize>()
        };
        let expected = [
            ("generic/1", 1),
            ("generic/2", 5),
            ("generic/3", 19),
            ("generic/4", 4),
            ("generic/5", 15),
            ("http2/3", 2),
            ("http2/4", 9),
            ("http2/5", 22),
            ("http2/6", 42),
            ("http2/7", 2),
            ("http2/8", 18),
            ("hpack/2", 2),
            ("hpack/4", 1),
            ("hpack/5", 3),
            ("hpack/6", 2),
        ];
        for (prefix, n) in expected {
            assert_eq!(count(prefix), n, "{prefix}");
        }
    }
}
