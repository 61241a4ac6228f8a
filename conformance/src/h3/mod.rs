//! `conformance h3`: HTTP/3 (RFC 9114) and QPACK (RFC 9204) cases of our own design,
//! in the style of the h2 catalogue. Each case runs on its own QUIC connection
//! (quinn-proto, `quic.rs`), writes raw HTTP/3 octets on streams it opens itself
//! (`wire.rs`), and states the outcomes the RFC allows: a connection error with a
//! given code, a stream error, or a response. Where the RFC lets the server choose
//! (a stream error may be raised to a connection error, RFC 9114 §8; a malformed
//! request may be answered with a 4xx first, §4.1.2), every allowed outcome passes.

mod cases;
mod quic;
mod rfc9220;
mod wire;

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use http3_proto::ErrorCode;
use http3_proto::frame::stream_type;
use quinn_proto::{Dir, StreamId};

use crate::catalogue::{self, Planned};
use crate::report::{CaseReport, CaseResult, Failure};
use crate::transport;
use quic::{Closed, Quic};

/// Where and how to reach the server.
#[derive(Debug)]
pub(crate) struct Target {
    pub(crate) addr: SocketAddr,
    /// The TLS server name and the `:authority` host.
    pub(crate) host: String,
    /// TLS 1.3 with ALPN `h3`.
    pub(crate) tls: rustls::ClientConfig,
    pub(crate) timeout: Duration,
}

pub(crate) use crate::catalogue::Options;

type Run = Box<dyn Fn(&mut Ctx<'_>) -> CaseResult + Send + Sync>;

/// One case of the catalogue.
pub(crate) struct Case {
    desc: String,
    requirement: &'static str,
    run: Run,
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Case").field("desc", &self.desc).finish()
    }
}

/// A group heading and its cases, numbered from 1.
#[derive(Debug)]
pub(crate) struct Section {
    /// `h3/6.2.1`, `qpack/4.3`, or the spec key alone for a root.
    id: &'static str,
    title: &'static str,
    cases: Vec<Case>,
}

fn case(
    desc: impl Into<String>,
    requirement: &'static str,
    run: impl Fn(&mut Ctx<'_>) -> CaseResult + Send + Sync + 'static,
) -> Case {
    Case {
        desc: desc.into(),
        requirement,
        run: Box::new(run),
    }
}

fn section(id: &'static str, title: &'static str, cases: Vec<Case>) -> Section {
    Section { id, title, cases }
}

/// An outcome a case accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// CONNECTION_CLOSE with this application error code.
    Conn(ErrorCode),
    /// RESET_STREAM or STOP_SENDING with this code on the case's request stream.
    Stream(ErrorCode),
    /// A complete response with a status in this range.
    Status(u16, u16),
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Conn(code) => write!(f, "connection error {}", name(code.0)),
            Self::Stream(code) => write!(f, "stream error {}", name(code.0)),
            Self::Status(lo, hi) if lo == hi => write!(f, "status {lo}"),
            Self::Status(lo, hi) => write!(f, "status {lo}-{hi}"),
        }
    }
}

/// A connection error of `code`.
pub(crate) fn conn(code: ErrorCode) -> Vec<Verdict> {
    vec![Verdict::Conn(code)]
}

/// A stream error of `code`, or the same code as a connection error, which RFC 9114
/// §8 allows ("an endpoint MAY choose to treat a stream error as a connection error").
pub(crate) fn stream(code: ErrorCode) -> Vec<Verdict> {
    vec![Verdict::Stream(code), Verdict::Conn(code)]
}

/// A malformed message (RFC 9114 §4.1.2): a stream error of type H3_MESSAGE_ERROR
/// (or that connection error, §8), or a 4xx answer, which the server MAY send "prior
/// to closing or resetting the stream".
pub(crate) fn malformed() -> Vec<Verdict> {
    let mut out = stream(ErrorCode::H3_MESSAGE_ERROR);
    out.push(Verdict::Status(400, 499));
    out
}

/// A successful response.
pub(crate) fn success() -> Vec<Verdict> {
    vec![Verdict::Status(200, 299)]
}

/// What the server did in answer to a case.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    Closed(Closed),
    Reset(u64),
    Stopped(u64),
    Response(u16),
    Unreadable(String),
    Nothing,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Closed(Closed::Application(code)) => {
                write!(f, "connection error {}", name(*code))
            }
            Self::Closed(Closed::Other(why)) => write!(f, "connection closed: {why}"),
            Self::Reset(code) => write!(f, "RESET_STREAM {}", name(*code)),
            Self::Stopped(code) => write!(f, "STOP_SENDING {}", name(*code)),
            Self::Response(status) => write!(f, "status {status}"),
            Self::Unreadable(why) => write!(f, "an unreadable response: {why}"),
            Self::Nothing => write!(f, "nothing within the timeout"),
        }
    }
}

impl Outcome {
    fn matches(&self, verdict: Verdict) -> bool {
        match (self, verdict) {
            (Self::Closed(Closed::Application(got)), Verdict::Conn(code)) => *got == code.0,
            (Self::Reset(got) | Self::Stopped(got), Verdict::Stream(code)) => *got == code.0,
            (Self::Response(status), Verdict::Status(lo, hi)) => (lo..=hi).contains(status),
            _ => false,
        }
    }
}

/// The name of an HTTP/3 or QPACK error code (RFC 9114 §8.1, RFC 9204 §6).
fn name(code: u64) -> String {
    let known = [
        (ErrorCode::H3_NO_ERROR, "H3_NO_ERROR"),
        (
            ErrorCode::H3_GENERAL_PROTOCOL_ERROR,
            "H3_GENERAL_PROTOCOL_ERROR",
        ),
        (ErrorCode::H3_INTERNAL_ERROR, "H3_INTERNAL_ERROR"),
        (
            ErrorCode::H3_STREAM_CREATION_ERROR,
            "H3_STREAM_CREATION_ERROR",
        ),
        (
            ErrorCode::H3_CLOSED_CRITICAL_STREAM,
            "H3_CLOSED_CRITICAL_STREAM",
        ),
        (ErrorCode::H3_FRAME_UNEXPECTED, "H3_FRAME_UNEXPECTED"),
        (ErrorCode::H3_FRAME_ERROR, "H3_FRAME_ERROR"),
        (ErrorCode::H3_EXCESSIVE_LOAD, "H3_EXCESSIVE_LOAD"),
        (ErrorCode::H3_ID_ERROR, "H3_ID_ERROR"),
        (ErrorCode::H3_SETTINGS_ERROR, "H3_SETTINGS_ERROR"),
        (ErrorCode::H3_MISSING_SETTINGS, "H3_MISSING_SETTINGS"),
        (ErrorCode::H3_REQUEST_REJECTED, "H3_REQUEST_REJECTED"),
        (ErrorCode::H3_REQUEST_CANCELLED, "H3_REQUEST_CANCELLED"),
        (ErrorCode::H3_REQUEST_INCOMPLETE, "H3_REQUEST_INCOMPLETE"),
        (ErrorCode::H3_MESSAGE_ERROR, "H3_MESSAGE_ERROR"),
        (ErrorCode::H3_CONNECT_ERROR, "H3_CONNECT_ERROR"),
        (ErrorCode::H3_VERSION_FALLBACK, "H3_VERSION_FALLBACK"),
        (
            ErrorCode::QPACK_DECOMPRESSION_FAILED,
            "QPACK_DECOMPRESSION_FAILED",
        ),
        (
            ErrorCode::QPACK_ENCODER_STREAM_ERROR,
            "QPACK_ENCODER_STREAM_ERROR",
        ),
        (
            ErrorCode::QPACK_DECODER_STREAM_ERROR,
            "QPACK_DECODER_STREAM_ERROR",
        ),
    ];
    known
        .iter()
        .find(|(c, _)| c.0 == code)
        .map_or_else(|| format!("0x{code:x}"), |(_, n)| (*n).to_owned())
}

/// What a case body works with: its own connection and the run's settings.
#[derive(Debug)]
pub(crate) struct Ctx<'a> {
    quic: Quic,
    target: &'a Target,
    options: &'a Options,
}

fn error(err: String) -> Failure {
    Failure::Error(err)
}

impl Ctx<'_> {
    fn timeout(&self) -> Duration {
        self.target.timeout
    }

    /// Opens a unidirectional stream and writes its type and `bytes` on it.
    pub(crate) fn uni(&mut self, ty: u64, bytes: &[u8], fin: bool) -> Result<StreamId, Failure> {
        let id = self.quic.open(Dir::Uni, self.timeout()).map_err(error)?;
        let mut out = wire::int(ty);
        out.extend_from_slice(bytes);
        self.quic.write(id, out, fin);
        Ok(id)
    }

    /// Opens our control stream with `bytes` on it (normally a SETTINGS frame first).
    pub(crate) fn control(&mut self, bytes: &[u8]) -> Result<StreamId, Failure> {
        self.uni(stream_type::CONTROL, bytes, false)
    }

    /// The control stream with an empty SETTINGS frame: no dynamic table for the
    /// server's encoder, so its responses decode without one (RFC 9204 §3.2.3).
    pub(crate) fn setup(&mut self) -> Result<StreamId, Failure> {
        self.control(&wire::settings(&[]))
    }

    /// Opens a request stream and writes `bytes` on it.
    pub(crate) fn request(&mut self, bytes: &[u8], fin: bool) -> Result<StreamId, Failure> {
        let id = self.quic.open(Dir::Bi, self.timeout()).map_err(error)?;
        self.quic.write(id, bytes.to_vec(), fin);
        Ok(id)
    }

    /// Writes more on a stream we opened.
    pub(crate) fn write(&mut self, id: StreamId, bytes: &[u8], fin: bool) {
        self.quic.write(id, bytes.to_vec(), fin);
    }

    pub(crate) fn reset(&mut self, id: StreamId, code: ErrorCode) {
        self.quic.reset(id, code.0);
    }

    /// Lets the server act on what was sent so far before the case sends more.
    pub(crate) fn pause(&mut self) {
        self.quic.pause(Duration::from_millis(100));
    }

    /// The fields of a GET of the configured path.
    pub(crate) fn get(&self) -> Vec<(String, String)> {
        vec![
            (":method".into(), "GET".into()),
            (":scheme".into(), "https".into()),
            (":authority".into(), self.authority()),
            (":path".into(), self.options.path.clone()),
        ]
    }

    /// The fields of a POST to the configured POST path.
    pub(crate) fn post(&self) -> Vec<(String, String)> {
        let mut fields = self.get();
        fields[0].1 = "POST".into();
        fields[3].1 = self.options.post_path.clone();
        fields
    }

    pub(crate) fn authority(&self) -> String {
        if self.target.addr.port() == 443 {
            self.target.host.clone()
        } else {
            format!("{}:{}", self.target.host, self.target.addr.port())
        }
    }

    /// The server's SETTINGS, waiting for its control stream (RFC 9114 §6.2.1).
    pub(crate) fn server_settings(&mut self) -> Result<Vec<(u64, u64)>, Failure> {
        let timeout = self.timeout();
        let mut found = None;
        self.quic.wait(timeout, |q| {
            found = q.peer_uni.iter().find_map(|id| {
                let data = &q.incoming.get(id)?.data;
                let (ty, n) = http3_proto::varint::decode(data)?;
                if ty != stream_type::CONTROL {
                    return None;
                }
                let first = wire::frames(&data[n..]).into_iter().next()?;
                Some(first)
            });
            found.is_some()
        });
        let first = found.ok_or_else(|| error("the server sent no SETTINGS".into()))?;
        if first.ty != http3_proto::frame::kind::SETTINGS {
            return Err(Failure::Mismatch {
                expected: vec!["SETTINGS first on the server's control stream".into()],
                actual: format!("frame type 0x{:x}", first.ty),
            });
        }
        wire::settings_pairs(&first.payload)
            .ok_or_else(|| error("the server's SETTINGS do not parse".into()))
    }

    /// One of the server's settings, or its default (RFC 9114 §7.2.4.1: absent means the default).
    pub(crate) fn setting(&mut self, id: u64) -> Result<Option<u64>, Failure> {
        Ok(self
            .server_settings()?
            .iter()
            .rev()
            .find(|(k, _)| *k == id)
            .map(|&(_, v)| v))
    }

    /// Waits for the server's answer and checks it against the accepted verdicts:
    /// the connection's end only (`stream` is `None`), or also what happens on `stream`.
    pub(crate) fn expect(&mut self, stream: Option<StreamId>, accepted: &[Verdict]) -> CaseResult {
        let outcome = self.observe(stream);
        if accepted.iter().any(|&v| outcome.matches(v)) {
            Ok(())
        } else {
            Err(Failure::Mismatch {
                expected: accepted.iter().map(ToString::to_string).collect(),
                actual: outcome.to_string(),
            })
        }
    }

    /// The final status on `stream` once its HEADERS arrive, the stream still open
    /// (a tunnel, RFC 9114 §4.4); otherwise what happened instead.
    pub(crate) fn tunnel_status(&mut self, stream: StreamId) -> Result<u16, Failure> {
        let timeout = self.timeout();
        self.quic.wait(timeout, |q| {
            q.incoming.get(&stream).is_some_and(|s| {
                s.fin || s.reset.is_some() || matches!(response(&s.data), Outcome::Response(_))
            }) || q.stopped.contains_key(&stream)
        });
        let expected = || vec!["a 2xx response on a stream that stays open".to_owned()];
        let incoming = self.quic.incoming.get(&stream);
        match incoming.map(|s| (response(&s.data), s.fin, s.reset)) {
            Some((Outcome::Response(status), false, None)) => Ok(status),
            Some((_, true, None)) => Err(Failure::Mismatch {
                expected: expected(),
                actual: format!(
                    "the stream ended: {}",
                    response(incoming.map_or(&[][..], |s| &s.data))
                ),
            }),
            _ => Err(Failure::Mismatch {
                expected: expected(),
                actual: self.observe(Some(stream)).to_string(),
            }),
        }
    }

    /// The payloads of the DATA frames received on `stream` so far, once they hold
    /// at least `len` octets (or the timeout passes).
    pub(crate) fn data_received(&mut self, stream: StreamId, len: usize) -> Vec<u8> {
        let timeout = self.timeout();
        let body = |q: &Quic| -> Vec<u8> {
            q.incoming.get(&stream).map_or_else(Vec::new, |s| {
                wire::frames(&s.data)
                    .into_iter()
                    .filter(|f| f.ty == http3_proto::frame::kind::DATA)
                    .flat_map(|f| f.payload)
                    .collect()
            })
        };
        self.quic.wait(timeout, |q| body(q).len() >= len);
        body(&self.quic)
    }

    fn observe(&mut self, stream: Option<StreamId>) -> Outcome {
        let timeout = self.timeout();
        self.quic.wait(timeout, |q| {
            stream.is_some_and(|id| {
                q.stopped.contains_key(&id)
                    || q.incoming
                        .get(&id)
                        .is_some_and(|s| s.fin || s.reset.is_some())
            })
        });
        if let Some(id) = stream {
            let incoming = self.quic.incoming.get(&id);
            if let Some(code) = incoming.and_then(|s| s.reset) {
                return Outcome::Reset(code);
            }
            if let Some(&code) = self.quic.stopped.get(&id) {
                return Outcome::Stopped(code);
            }
            if let Some(incoming) = incoming.filter(|s| s.fin) {
                return response(&incoming.data);
            }
        }
        match &self.quic.closed {
            Some(closed) => Outcome::Closed(closed.clone()),
            None => Outcome::Nothing,
        }
    }
}

/// The status of a whole response: its first HEADERS frame, past any interim (1xx) ones.
fn response(data: &[u8]) -> Outcome {
    for frame in wire::frames(data) {
        if frame.ty == http3_proto::frame::kind::HEADERS {
            match wire::status(&frame.payload) {
                Ok(status) if status >= 200 => return Outcome::Response(status),
                Ok(_) => {}
                Err(why) => return Outcome::Unreadable(why),
            }
        }
    }
    Outcome::Unreadable("the stream ended without a final response".into())
}

/// Every section, in order.
pub(crate) fn catalogue() -> Vec<Section> {
    cases::sections()
}

/// Runs the catalogue against `target` and prints the report; returns the reports
/// in catalogue order.
pub(crate) fn run(target: &Target, options: &Options) -> Vec<CaseReport> {
    let mut sections = catalogue();
    if options.extended_connect.is_some() {
        sections.extend(rfc9220::sections());
    }
    let listed: Vec<_> = sections
        .iter()
        .map(|s| (s.id, s.title, s.cases.as_slice()))
        .collect();
    catalogue::run(
        &listed,
        &options.filters,
        options.jobs,
        |_| true,
        |planned| run_one(target, options, planned),
    )
}

fn run_one(target: &Target, options: &Options, planned: &Planned<'_, Case>) -> CaseReport {
    let started = transport::now();
    let result = match Quic::connect(
        target.addr,
        &target.host,
        target.tls.clone(),
        target.timeout,
    ) {
        Ok(quic) => {
            let mut ctx = Ctx {
                quic,
                target,
                options,
            };
            let result = (planned.case.run)(&mut ctx);
            ctx.quic.close();
            result
        }
        Err(err) => Err(Failure::Error(format!("connect to {}: {err}", target.addr))),
    };
    planned.report(
        &planned.case.desc,
        planned.case.requirement,
        result,
        started,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_has_90_cases_in_rfc_sections() {
        let sections = catalogue();
        let count = |spec: &str| {
            sections
                .iter()
                .filter(|s| s.id.split('/').next() == Some(spec))
                .map(|s| s.cases.len())
                .sum::<usize>()
        };
        assert_eq!(count("h3"), 73);
        assert_eq!(count("qpack"), 17);
        assert!(
            sections
                .iter()
                .all(|s| s.id.starts_with("h3") || s.id.starts_with("qpack"))
        );
        assert!(
            sections
                .iter()
                .all(|s| s.cases.iter().all(|c| c.requirement.contains("RFC 9")))
        );
    }

    #[test]
    fn verdicts_accept_what_the_rfc_allows_and_nothing_else() {
        let reset = Outcome::Reset(ErrorCode::H3_MESSAGE_ERROR.0);
        let closed = Outcome::Closed(Closed::Application(ErrorCode::H3_MESSAGE_ERROR.0));
        let accepts =
            |outcome: &Outcome, verdicts: &[Verdict]| verdicts.iter().any(|&v| outcome.matches(v));
        for outcome in [
            &reset,
            &closed,
            &Outcome::Response(400),
            &Outcome::Response(431),
        ] {
            assert!(accepts(outcome, &malformed()), "{outcome}");
        }
        for outcome in [
            Outcome::Response(200),
            Outcome::Reset(ErrorCode::H3_NO_ERROR.0),
            Outcome::Closed(Closed::Other("idle timeout".into())),
            Outcome::Nothing,
        ] {
            assert!(!accepts(&outcome, &malformed()), "{outcome}");
        }
        // A connection error is never satisfied by a stream error of the same code.
        assert!(!accepts(&reset, &conn(ErrorCode::H3_MESSAGE_ERROR)));
        assert!(accepts(&closed, &stream(ErrorCode::H3_MESSAGE_ERROR)));
    }

    #[test]
    fn a_response_is_read_past_interim_ones() {
        let interim = wire::headers(&[(":status", "103")]);
        let fin = wire::headers(&[(":status", "204")]);
        assert_eq!(response(&[interim, fin].concat()), Outcome::Response(204));
        assert!(matches!(
            response(&wire::data(b"x")),
            Outcome::Unreadable(_)
        ));
        assert_eq!(name(0x10e), "H3_MESSAGE_ERROR");
        assert_eq!(name(0x1234), "0x1234");
    }
}
