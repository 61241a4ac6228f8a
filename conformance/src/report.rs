//! Results, the running of cases in parallel, and everything the binary prints.
//!
//! Printing a report is this program's purpose, so the workspace's
//! `print_stdout` lint is allowed here and nowhere else.
#![allow(clippy::print_stdout)]

use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

/// Why a case did not pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The server did something other than what the case requires.
    Mismatch {
        expected: Vec<String>,
        actual: String,
    },
    /// The case does not apply to this server (h2spec's skip conditions).
    Skipped(String),
    /// The case could not be carried out (connect or handshake failure).
    Error(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Mismatch { expected, actual } => {
                write!(f, "expected {}; got {actual}", expected.join(" or "))
            }
            Self::Skipped(why) => write!(f, "skipped: {why}"),
            Self::Error(err) => write!(f, "error: {err}"),
        }
    }
}

/// The result of one case: `Ok` is a pass.
pub(crate) type CaseResult = Result<(), Failure>;

/// One case's outcome as reported.
#[derive(Clone, Debug)]
pub(crate) struct CaseReport {
    /// As h2spec prints it: `http2/5.1.1/2`; `h1/...` for the HTTP/1.1 suite.
    pub(crate) id: String,
    /// The section the case belongs to (JUnit classname).
    pub(crate) group: String,
    pub(crate) title: String,
    pub(crate) requirement: String,
    pub(crate) result: CaseResult,
    pub(crate) duration: Duration,
}

impl CaseReport {
    pub(crate) fn failed(&self) -> bool {
        matches!(
            self.result,
            Err(Failure::Mismatch { .. } | Failure::Error(_))
        )
    }

    pub(crate) fn skipped(&self) -> bool {
        matches!(self.result, Err(Failure::Skipped(_)))
    }
}

/// Totals of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    pub(crate) tests: usize,
    pub(crate) passed: usize,
    pub(crate) skipped: usize,
    pub(crate) failed: usize,
}

impl Totals {
    pub(crate) fn of(reports: &[CaseReport]) -> Self {
        let mut totals = Self {
            tests: reports.len(),
            ..Self::default()
        };
        for report in reports {
            if report.failed() {
                totals.failed += 1;
            } else if report.skipped() {
                totals.skipped += 1;
            } else {
                totals.passed += 1;
            }
        }
        totals
    }
}

impl fmt::Display for Totals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} tests, {} passed, {} skipped, {} failed",
            self.tests, self.passed, self.skipped, self.failed
        )
    }
}

/// Runs `count` jobs on up to `workers` threads and hands each result to
/// `on_result` in index order as soon as it and all before it are done, so
/// the output reads like a sequential run. Returns the results in order.
pub(crate) fn run_parallel<T: Send>(
    count: usize,
    workers: usize,
    job: impl Fn(usize) -> T + Sync,
    mut on_result: impl FnMut(usize, &T),
) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel();
    let mut slots: Vec<Option<T>> = (0..count).map(|_| None).collect();
    std::thread::scope(|scope| {
        for _ in 0..workers.clamp(1, count.max(1)) {
            let tx = tx.clone();
            let (next, job) = (&next, &job);
            scope.spawn(move || {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= count {
                        break;
                    }
                    if tx.send((index, job(index))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut shown = 0;
        for (index, result) in rx {
            slots[index] = Some(result);
            while let Some(Some(result)) = slots.get(shown) {
                on_result(shown, result);
                shown += 1;
            }
        }
    });
    slots.into_iter().flatten().collect()
}

/// Prints headings, one line per case, and the summary.
#[derive(Debug, Default)]
pub(crate) struct Printer;

fn indent(level: usize) -> String {
    "  ".repeat(level)
}

impl Printer {
    pub(crate) fn new() -> Self {
        Self
    }

    pub(crate) fn heading(&mut self, title: &str, level: usize) {
        if level <= 1 {
            println!();
        }
        println!("{}{title}", indent(level));
    }

    /// `✔`, `×` or `-` (skipped), the id and the title; on failure what was expected and what came.
    pub(crate) fn case(&mut self, report: &CaseReport, level: usize) {
        let pad = indent(level);
        match &report.result {
            Ok(()) => println!("{pad}✔ {}: {}", report.id, report.title),
            Err(Failure::Skipped(why)) => {
                println!("{pad}- {}: {} (skipped: {why})", report.id, report.title)
            }
            Err(failure) => {
                println!("{pad}× {}: {}", report.id, report.title);
                print_failure(&pad, report, failure);
            }
        }
    }

    /// The failures again, then `N tests, N passed, N skipped, N failed`.
    pub(crate) fn summary(&mut self, reports: &[CaseReport], elapsed: Duration) {
        let failures: Vec<_> = reports.iter().filter(|r| r.failed()).collect();
        if !failures.is_empty() {
            println!("\nFailures:");
            for report in &failures {
                println!("  × {}: {}", report.id, report.title);
                if let Err(failure) = &report.result {
                    print_failure("  ", report, failure);
                }
            }
        }
        println!("\nFinished in {:.4} seconds", elapsed.as_secs_f64());
        println!("{}", Totals::of(reports));
    }
}

fn print_failure(pad: &str, report: &CaseReport, failure: &Failure) {
    println!("{pad}    -> {}", report.requirement);
    match failure {
        Failure::Mismatch { expected, actual } => {
            for (i, line) in expected.iter().enumerate() {
                let label = if i == 0 { "Expected: " } else { "          " };
                println!("{pad}       {label}{line}");
            }
            println!("{pad}         Actual: {actual}");
        }
        Failure::Error(err) => println!("{pad}       Error: {err}"),
        Failure::Skipped(_) => {}
    }
}

/// A one-line note outside the case list (setup problems, the hpack report).
pub(crate) fn line(text: &str) {
    println!("{text}");
}

/// Writes the run as JUnit XML: one `<testsuite>` per spec (`generic`,
/// `http2`, `hpack`, `h1`), one `<testcase>` per case, named by its id.
pub(crate) fn write_junit(path: &Path, name: &str, reports: &[CaseReport]) -> io::Result<()> {
    let file = BufWriter::new(File::create(path)?);
    let mut xml = Writer::new_with_indent(file, b' ', 2);
    xml.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let totals = Totals::of(reports);
    let total_time: Duration = reports.iter().map(|r| r.duration).sum();
    let mut root = BytesStart::new("testsuites");
    root.push_attribute(("name", name));
    push_counts(&mut root, totals, total_time);
    xml.write_event(Event::Start(root))?;

    let mut specs: Vec<&str> = Vec::new();
    for report in reports {
        let spec = report.id.split('/').next().unwrap_or_default();
        if !specs.contains(&spec) {
            specs.push(spec);
        }
    }
    for spec in specs {
        let members: Vec<CaseReport> = reports
            .iter()
            .filter(|r| r.id.split('/').next() == Some(spec))
            .cloned()
            .collect();
        let mut suite = BytesStart::new("testsuite");
        suite.push_attribute(("name", spec));
        push_counts(
            &mut suite,
            Totals::of(&members),
            members.iter().map(|r| r.duration).sum(),
        );
        xml.write_event(Event::Start(suite))?;
        for report in &members {
            write_testcase(&mut xml, report)?;
        }
        xml.write_event(Event::End(BytesEnd::new("testsuite")))?;
    }
    xml.write_event(Event::End(BytesEnd::new("testsuites")))?;
    Ok(())
}

fn push_counts(element: &mut BytesStart<'_>, totals: Totals, time: Duration) {
    element.push_attribute(("tests", totals.tests.to_string().as_str()));
    element.push_attribute(("failures", totals.failed.to_string().as_str()));
    element.push_attribute(("skipped", totals.skipped.to_string().as_str()));
    element.push_attribute(("errors", "0"));
    element.push_attribute(("time", format!("{:.3}", time.as_secs_f64()).as_str()));
}

fn write_testcase<W: io::Write>(xml: &mut Writer<W>, report: &CaseReport) -> io::Result<()> {
    let mut case = BytesStart::new("testcase");
    case.push_attribute(("name", format!("{}: {}", report.id, report.title).as_str()));
    case.push_attribute(("classname", report.group.as_str()));
    case.push_attribute((
        "time",
        format!("{:.3}", report.duration.as_secs_f64()).as_str(),
    ));
    let (element, message, body) = match &report.result {
        Ok(()) => return xml.write_event(Event::Empty(case)),
        Err(Failure::Skipped(why)) => ("skipped", why.clone(), String::new()),
        Err(Failure::Error(err)) => ("failure", err.clone(), report.requirement.clone()),
        Err(Failure::Mismatch { expected, actual }) => {
            let message = format!("expected {}; got {actual}", expected.join(" or "));
            let body = format!(
                "{}\nExpected: {}\nActual: {actual}",
                report.requirement,
                expected.join("\n          ")
            );
            ("failure", message, body)
        }
    };
    xml.write_event(Event::Start(case))?;
    let mut child = BytesStart::new(element);
    child.push_attribute(("message", message.as_str()));
    if body.is_empty() {
        xml.write_event(Event::Empty(child))?;
    } else {
        xml.write_event(Event::Start(child))?;
        xml.write_event(Event::Text(BytesText::new(&body)))?;
        xml.write_event(Event::End(BytesEnd::new(element)))?;
    }
    xml.write_event(Event::End(BytesEnd::new("testcase")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(id: &str, result: CaseResult) -> CaseReport {
        CaseReport {
            id: id.into(),
            group: id
                .rsplit_once('/')
                .map(|(g, _)| g.to_owned())
                .unwrap_or_default(),
            title: "Sends <x> & \"y\"".into(),
            requirement: "MUST".into(),
            result,
            duration: Duration::from_millis(3),
        }
    }

    #[test]
    fn totals_count_each_outcome() {
        let reports = [
            report("http2/1/1", Ok(())),
            report("http2/1/2", Err(Failure::Skipped("no".into()))),
            report("http2/1/3", Err(Failure::Error("boom".into()))),
            report(
                "hpack/1/1",
                Err(Failure::Mismatch {
                    expected: vec!["a".into()],
                    actual: "b".into(),
                }),
            ),
        ];
        let totals = Totals::of(&reports);
        assert_eq!(
            totals,
            Totals {
                tests: 4,
                passed: 1,
                skipped: 1,
                failed: 2
            }
        );
        assert_eq!(totals.to_string(), "4 tests, 1 passed, 1 skipped, 2 failed");
    }

    #[test]
    fn parallel_results_come_back_in_order() {
        let mut seen = Vec::new();
        let out = run_parallel(50, 7, |i| i * 2, |i, v| seen.push((i, *v)));
        assert_eq!(out, (0..50).map(|i| i * 2).collect::<Vec<_>>());
        assert_eq!(seen, (0..50).map(|i| (i, i * 2)).collect::<Vec<_>>());
        assert!(run_parallel(0, 4, |i| i, |_, _| {}).is_empty());
    }

    #[test]
    fn junit_is_escaped_and_counts_failures() {
        let dir = std::env::temp_dir().join(format!("conformance-junit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.xml");
        let reports = [
            report("http2/5.1.1/1", Ok(())),
            report(
                "http2/5.1.1/2",
                Err(Failure::Mismatch {
                    expected: vec!["GOAWAY".into()],
                    actual: "DATA <".into(),
                }),
            ),
            report("generic/1/1", Err(Failure::Skipped("n/a".into()))),
        ];
        write_junit(&path, "h2", &reports).unwrap();
        let xml = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            xml.contains(r#"<testsuites name="h2" tests="3" failures="1" skipped="1""#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<testsuite name="http2" tests="2" failures="1" skipped="0""#),
            "{xml}"
        );
        assert!(
            xml.contains("name=\"http2/5.1.1/2: Sends &lt;x&gt; &amp; &quot;y&quot;\""),
            "{xml}"
        );
        assert!(xml.contains("expected GOAWAY; got DATA &lt;"), "{xml}");
        assert!(xml.contains("<skipped message=\"n/a\"/>"), "{xml}");
    }
}
