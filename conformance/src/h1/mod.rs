//! `conformance h1`: HTTP/1.1 cases of our own design from RFC 9112 (and the
//! parts of RFC 9110 a server's framing depends on). Each case writes raw
//! bytes on a fresh connection and states the status it expects and whether
//! the connection must then close, stay usable, or may do either where the
//! RFC leaves the choice to the server.

mod cases;
mod client;

use crate::report::{self, CaseReport, CaseResult, Failure};
use crate::transport::{self, Target};
use client::{Client, Response};

pub(crate) use crate::catalogue::Options;

/// The statuses a case accepts.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Status {
    /// Any 2xx.
    Success,
    /// One of these codes.
    OneOf(&'static [u16]),
    /// Any 2xx or one of these codes (the RFC lets the server choose).
    SuccessOr(&'static [u16]),
}

impl Status {
    fn accepts(self, status: u16) -> bool {
        let success = (200..300).contains(&status);
        match self {
            Self::Success => success,
            Self::OneOf(codes) => codes.contains(&status),
            Self::SuccessOr(codes) => success || codes.contains(&status),
        }
    }

    fn describe(self) -> String {
        let codes = |codes: &[u16]| {
            codes
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(" or ")
        };
        match self {
            Self::Success => "status 2xx".into(),
            Self::OneOf(list) => format!("status {}", codes(list)),
            Self::SuccessOr(list) => format!("status 2xx or {}", codes(list)),
        }
    }
}

/// What must happen to the connection after the response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum After {
    /// The server closes it, and sends nothing more (RFC 9112 §9.6, §6.3).
    Close,
    /// It stays usable: a follow-up GET on it is answered with 2xx.
    KeepAlive,
    /// Either is allowed.
    Either,
}

/// One case of the suite.
#[derive(Debug)]
pub(crate) struct Case {
    /// `h1/<section>/<n>`.
    id: String,
    title: &'static str,
    requirement: &'static str,
    run: fn(&mut Ctx<'_>) -> CaseResult,
}

/// What a case body works with: its own connection and the run's settings.
#[derive(Debug)]
pub(crate) struct Ctx<'a> {
    client: Client,
    target: &'a Target,
    path: &'a str,
    post_path: &'a str,
}

fn read_failure(expected: Vec<String>, err: &client::ReadError) -> Failure {
    Failure::Mismatch {
        expected,
        actual: err.to_string(),
    }
}

impl Ctx<'_> {
    /// `{host}`, `{path}` and `{post}` (the POST path) in a request template become the target's.
    fn render(&self, template: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(template.len() + 32);
        let mut rest = template;
        while !rest.is_empty() {
            if let Some(tail) = rest.strip_prefix(b"{host}") {
                out.extend_from_slice(self.target.authority().as_bytes());
                rest = tail;
            } else if let Some(tail) = rest.strip_prefix(b"{path}") {
                out.extend_from_slice(self.path.as_bytes());
                rest = tail;
            } else if let Some(tail) = rest.strip_prefix(b"{post}") {
                out.extend_from_slice(self.post_path.as_bytes());
                rest = tail;
            } else {
                out.push(rest[0]);
                rest = &rest[1..];
            }
        }
        out
    }

    fn send(&mut self, template: &[u8]) {
        let bytes = self.render(template);
        self.client.send(&bytes);
    }

    /// Reads the final response and checks its status.
    fn expect_status(&mut self, status: Status, head_request: bool) -> Result<Response, Failure> {
        let expected = || vec![status.describe()];
        let response = self
            .client
            .read_final_response(head_request)
            .map_err(|err| read_failure(expected(), &err))?;
        if status.accepts(response.status) {
            Ok(response)
        } else {
            Err(Failure::Mismatch {
                expected: expected(),
                actual: format!("status {}", response.status),
            })
        }
    }

    /// Checks what the connection does after `response`.
    fn expect_after(&mut self, response: &Response, after: After) -> CaseResult {
        match after {
            After::Either => Ok(()),
            After::Close => self
                .client
                .expect_close()
                .map_err(|actual| Failure::Mismatch {
                    expected: vec![format!(
                        "the connection closed after status {}",
                        response.status
                    )],
                    actual,
                }),
            After::KeepAlive => {
                let expected = || {
                    vec![format!(
                        "the connection still usable after status {}",
                        response.status
                    )]
                };
                if response.closed {
                    return Err(Failure::Mismatch {
                        expected: expected(),
                        actual: "the response body was delimited by closing the connection".into(),
                    });
                }
                self.send(b"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n");
                match self.client.read_final_response(false) {
                    Ok(next) if (200..300).contains(&next.status) => Ok(()),
                    Ok(next) => Err(Failure::Mismatch {
                        expected: expected(),
                        actual: format!("the next request got status {}", next.status),
                    }),
                    Err(err) => Err(Failure::Mismatch {
                        expected: expected(),
                        actual: format!("the next request: {err}"),
                    }),
                }
            }
        }
    }

    /// The shape of most cases: send `request`, check the status, then the connection.
    fn exchange(&mut self, request: &[u8], status: Status, after: After) -> CaseResult {
        self.send(request);
        let head = request.starts_with(b"HEAD ");
        let response = self.expect_status(status, head)?;
        self.expect_after(&response, after)
    }
}

fn selected(id: &str, filters: &[String]) -> bool {
    filters.is_empty()
        || filters.iter().any(|f| {
            id == f
                || id
                    .strip_prefix(f.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
        })
}

/// Runs the suite against `target` and prints the report.
pub(crate) fn run(target: &Target, options: &Options) -> Vec<CaseReport> {
    let sections = cases::sections();
    let planned: Vec<(&str, &Case)> = sections
        .iter()
        .flat_map(|(title, cases)| cases.iter().map(move |case| (*title, case)))
        .filter(|(_, case)| selected(&case.id, &options.filters))
        .collect();
    let mut printer = report::Printer::new();
    let started = transport::now();
    let mut last_title = "";
    let reports = report::run_parallel(
        planned.len(),
        options.jobs,
        |index| run_one(target, options, planned[index].1),
        |index, report| {
            let title = planned[index].0;
            if index == 0 {
                printer.heading("HTTP/1.1 (RFC 9112) server checks", 0);
            }
            if title != last_title {
                printer.heading(title, 1);
                last_title = title;
            }
            printer.case(report, 2);
        },
    );
    printer.summary(&reports, started.elapsed());
    reports
}

fn run_one(target: &Target, options: &Options, case: &Case) -> CaseReport {
    let started = transport::now();
    let result = Client::connect(target).and_then(|client| {
        let mut ctx = Ctx {
            client,
            target,
            path: &options.path,
            post_path: &options.post_path,
        };
        (case.run)(&mut ctx)
    });
    CaseReport {
        id: case.id.clone(),
        group: case
            .id
            .rsplit_once('/')
            .map(|(group, _)| group.to_owned())
            .unwrap_or_default(),
        title: case.title.to_owned(),
        requirement: case.requirement.to_owned(),
        result,
        duration: started.elapsed(),
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::time::Duration;

    use super::*;
    use crate::transport::TlsOptions;

    /// A server that answers each read with the next reply, then closes
    /// after the last one unless `linger` keeps the connection open.
    fn scripted(replies: Vec<&'static [u8]>, linger: bool) -> Target {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let (mut sock, _) = listener.accept().unwrap();
            for reply in replies {
                let mut buf = [0; 4096];
                if sock.read(&mut buf).unwrap_or(0) == 0 {
                    return;
                }
                sock.write_all(reply).unwrap();
            }
            if linger {
                std::thread::sleep(Duration::from_millis(600));
            }
        });
        let tls = TlsOptions {
            enabled: false,
            insecure: false,
        };
        Target::new(
            "127.0.0.1",
            port,
            tls,
            b"http/1.1",
            Duration::from_millis(300),
        )
        .unwrap()
    }

    fn exchange(target: &Target, status: Status, after: After) -> CaseResult {
        let mut ctx = Ctx {
            client: Client::connect(target)?,
            target,
            path: "/",
            post_path: "/",
        };
        ctx.exchange(
            b"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n",
            status,
            after,
        )
    }

    const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    const BAD: &[u8] = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";

    #[test]
    fn close_is_required_when_asked() {
        assert_eq!(
            exchange(
                &scripted(vec![BAD], false),
                Status::OneOf(&[400]),
                After::Close
            ),
            Ok(())
        );
        let left_open = exchange(
            &scripted(vec![BAD], true),
            Status::OneOf(&[400]),
            After::Close,
        );
        assert!(
            matches!(left_open, Err(Failure::Mismatch { ref actual, .. }) if actual == "the connection stayed open")
        );
    }

    #[test]
    fn keep_alive_needs_a_second_answer() {
        assert_eq!(
            exchange(
                &scripted(vec![OK, OK], true),
                Status::Success,
                After::KeepAlive
            ),
            Ok(())
        );
        assert!(
            exchange(
                &scripted(vec![OK], false),
                Status::Success,
                After::KeepAlive
            )
            .is_err()
        );
        assert!(
            exchange(
                &scripted(vec![OK, BAD], true),
                Status::Success,
                After::KeepAlive
            )
            .is_err()
        );
    }

    #[test]
    fn wrong_status_or_silence_fails() {
        let wrong = exchange(
            &scripted(vec![OK], false),
            Status::OneOf(&[400]),
            After::Either,
        );
        assert_eq!(
            wrong,
            Err(Failure::Mismatch {
                expected: vec!["status 400".into()],
                actual: "status 200".into()
            })
        );
        let silent = exchange(
            &scripted(vec![], true),
            Status::OneOf(&[400]),
            After::Either,
        );
        assert!(
            matches!(silent, Err(Failure::Mismatch { ref actual, .. }) if actual.contains("closed") || actual == "Timeout")
        );
    }

    #[test]
    fn templates_are_rendered() {
        let target = scripted(vec![], false);
        let ctx = Ctx {
            client: Client::connect(&target).unwrap(),
            target: &target,
            path: "/p",
            post_path: "/e",
        };
        let rendered = ctx.render(b"POST {post} {path} {host}");
        assert_eq!(
            rendered,
            format!("POST /e /p 127.0.0.1:{}", target.port).into_bytes()
        );
    }

    #[test]
    fn status_sets() {
        assert!(Status::Success.accepts(204));
        assert!(!Status::Success.accepts(400));
        assert!(Status::OneOf(&[400, 431]).accepts(431));
        assert!(!Status::OneOf(&[400]).accepts(200));
        assert!(Status::SuccessOr(&[400]).accepts(200) && Status::SuccessOr(&[400]).accepts(400));
        assert!(!Status::SuccessOr(&[400]).accepts(500));
        assert_eq!(Status::OneOf(&[505, 400]).describe(), "status 505 or 400");
    }

    #[test]
    fn ids_are_unique_and_selectable() {
        let sections = cases::sections();
        let ids: Vec<&str> = sections
            .iter()
            .flat_map(|(_, cases)| cases.iter().map(|c| c.id.as_str()))
            .collect();
        let mut unique = ids.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), ids.len());
        assert!(ids.len() >= 36, "a few dozen cases, got {}", ids.len());
        assert!(selected("h1/smuggling/2", &["h1/smuggling".into()]));
        assert!(!selected("h1/smuggling/2", &["h1/smug".into()]));
        assert!(selected("h1/smuggling/2", &[]));
    }
}
