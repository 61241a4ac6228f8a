//! `conformance h2`: the HTTP/2 conformance catalogue
//! (summerwind/h2spec's catalogue, the 147 cases of its `generic`, `http2`
//! and `hpack` groups), each on its own connection, several at a time.

mod conn;
mod generic;
mod hpack;
mod http2;
mod rfc8441;
mod verify;

use std::sync::OnceLock;

use bytes::Bytes;

use crate::frame::Headers;
use crate::header_block;
use crate::report::{self, CaseReport, Failure};
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

/// Whether h2spec's selector logic picks `case_id` (`spec/1.2.3/n`): a
/// selector names the spec, a section or any dotted prefix of it, or the case.
pub(crate) fn selected(case_id: &str, filters: &[String]) -> bool {
    if filters.is_empty() {
        return true;
    }
    let mut parts = case_id.splitn(3, '/');
    let (Some(spec), Some(section)) = (parts.next(), parts.next()) else {
        return false;
    };
    let mut keys = vec![spec.to_owned(), case_id.to_owned()];
    let mut prefix = String::new();
    for number in section.split('.') {
        if !prefix.is_empty() {
            prefix.push('.');
        }
        prefix.push_str(number);
        keys.push(format!("{spec}/{prefix}"));
    }
    filters.iter().any(|filter| keys.contains(filter))
}

/// One selected case, ready to run.
struct Planned<'c> {
    id: String,
    section: &'static str,
    case: &'c Case,
}

/// Runs the catalogue against `target` and prints the report; returns the
/// reports in catalogue order.
pub(crate) fn run(target: &Target, options: &Options) -> Vec<CaseReport> {
    let mut sections = catalogue();
    if options.extended_connect.is_some() {
        sections.extend(rfc8441::sections());
    }
    let mut planned = Vec::new();
    for section in &sections {
        for (seq, case) in section.cases.iter().enumerate() {
            let id = format!("{}/{}", section.id, seq + 1);
            if (!case.strict || options.strict) && selected(&id, &options.filters) {
                planned.push(Planned {
                    id,
                    section: section.id,
                    case,
                });
            }
        }
    }
    // The headings to print before each case: its not yet printed ancestors, in walk order.
    let mut printed = vec![false; sections.len()];
    let headings: Vec<Vec<(&str, usize)>> = planned
        .iter()
        .map(|p| {
            let mut before = Vec::new();
            for (i, section) in sections.iter().enumerate() {
                if !printed[i] && is_ancestor_or_self(section.id, p.section) {
                    printed[i] = true;
                    before.push((section.title, level(section.id)));
                }
            }
            before
        })
        .collect();
    let shared = Shared::default();
    let mut printer = report::Printer::new();
    let started = transport::now();
    let reports = report::run_parallel(
        planned.len(),
        options.jobs,
        |index| run_one(target, options, &shared, &planned[index]),
        |index, report| {
            for &(title, depth) in &headings[index] {
                printer.heading(title, depth);
            }
            printer.case(report, level(planned[index].section) + 1);
        },
    );
    printer.summary(&reports, started.elapsed());
    reports
}

pub(crate) fn is_ancestor_or_self(ancestor: &str, section: &str) -> bool {
    section == ancestor
        || section
            .strip_prefix(ancestor)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('/'))
}

/// Indentation depth: 0 for a spec root, else one more than the dots in the section number.
pub(crate) fn level(section_id: &str) -> usize {
    match section_id.split_once('/') {
        None => 0,
        Some((_, number)) => number.matches('.').count() + 1,
    }
}

fn run_one(
    target: &Target,
    options: &Options,
    shared: &Shared,
    planned: &Planned<'_>,
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
    CaseReport {
        id: planned.id.clone(),
        group: planned.section.to_owned(),
        title: planned.case.desc.to_owned(),
        requirement: planned.case.requirement.to_owned(),
        result,
        duration: started.elapsed(),
    }
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

    #[test]
    fn selectors_follow_h2spec() {
        let f = |s: &[&str]| s.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(selected("http2/5.1.1/2", &[]));
        assert!(selected("http2/5.1.1/2", &f(&["http2"])));
        assert!(selected("http2/5.1.1/2", &f(&["http2/5"])));
        assert!(selected("http2/5.1.1/2", &f(&["http2/5.1"])));
        assert!(selected("http2/5.1.1/2", &f(&["http2/5.1.1/2"])));
        assert!(!selected("http2/5.1.1/2", &f(&["http2/5.1.1/1"])));
        assert!(!selected("http2/6.10/1", &f(&["http2/6.1"])));
        assert!(!selected("generic/5/1", &f(&["http2"])));
    }

    #[test]
    fn ancestors() {
        assert!(is_ancestor_or_self("http2", "http2/5.1"));
        assert!(is_ancestor_or_self("http2/5", "http2/5.1"));
        assert!(is_ancestor_or_self("http2/6.1", "http2/6.1"));
        assert!(!is_ancestor_or_self("http2/6.1", "http2/6.10"));
        assert!(!is_ancestor_or_self("http2/5.1", "http2/5"));
    }

    #[test]
    fn levels() {
        assert_eq!(level("http2"), 0);
        assert_eq!(level("http2/5"), 1);
        assert_eq!(level("http2/5.1.1"), 3);
    }
}
