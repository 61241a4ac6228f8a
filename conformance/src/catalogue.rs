//! Walking a sectioned catalogue (h2 and h3): picking cases with h2spec's
//! selectors, running them in parallel, and printing each under its headings.

use std::time::Instant;

use crate::report::{self, CaseReport, CaseResult};
use crate::transport;

/// What an h1 or h3 run needs besides the target.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) jobs: usize,
    /// A path that answers GET (and HEAD) with 2xx and a body.
    pub(crate) path: String,
    /// A path that answers POST with 2xx.
    pub(crate) post_path: String,
    /// Case ids or prefixes (`h1/smuggling`, `h3/6.2`, `qpack`); empty runs all.
    pub(crate) filters: Vec<String>,
    /// h3: also run the RFC 9220 cases, with a WebSocket echo at this path.
    pub(crate) extended_connect: Option<String>,
}

/// One selected case, ready to run.
#[derive(Debug)]
pub(crate) struct Planned<'c, C> {
    /// `spec/section/n`, numbered from 1 within the section.
    pub(crate) id: String,
    pub(crate) section: &'static str,
    pub(crate) case: &'c C,
}

impl<C> Planned<'_, C> {
    /// This case's report, for a run that began at `started`.
    pub(crate) fn report(
        &self,
        title: &str,
        requirement: &str,
        result: CaseResult,
        started: Instant,
    ) -> CaseReport {
        CaseReport {
            id: self.id.clone(),
            group: self.section.to_owned(),
            title: title.to_owned(),
            requirement: requirement.to_owned(),
            result,
            duration: started.elapsed(),
        }
    }
}

/// A section as the walk sees it: its id (`http2/5.1`, or a spec key alone for a
/// root), its heading and its cases.
pub(crate) type Listed<'c, C> = (&'static str, &'static str, &'c [C]);

/// Runs the cases of `sections` that `keep` admits and the filters select, `jobs`
/// at a time, printing each under its headings as it completes in order; returns
/// the reports in catalogue order.
pub(crate) fn run<C: Sync>(
    sections: &[Listed<'_, C>],
    filters: &[String],
    jobs: usize,
    keep: impl Fn(&C) -> bool,
    run_one: impl Fn(&Planned<'_, C>) -> CaseReport + Sync,
) -> Vec<CaseReport> {
    let mut planned = Vec::new();
    for &(section, _, cases) in sections {
        for (seq, case) in cases.iter().enumerate() {
            let id = format!("{section}/{}", seq + 1);
            if keep(case) && selected(&id, filters) {
                planned.push(Planned { id, section, case });
            }
        }
    }
    // The headings to print before each case: its not yet printed ancestors, in walk order.
    let mut printed = vec![false; sections.len()];
    let headings: Vec<Vec<(&str, usize)>> = planned
        .iter()
        .map(|p| {
            let mut before = Vec::new();
            for (i, &(id, title, _)) in sections.iter().enumerate() {
                if !printed[i] && is_ancestor_or_self(id, p.section) {
                    printed[i] = true;
                    before.push((title, level(id)));
                }
            }
            before
        })
        .collect();
    let mut printer = report::Printer::new();
    let started = transport::now();
    let reports = report::run_parallel(
        planned.len(),
        jobs,
        |index| run_one(&planned[index]),
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

/// Whether h2spec's selector logic picks `case_id` (`spec/1.2.3/n`): a
/// selector names the spec, a section or any dotted prefix of it, or the case.
fn selected(case_id: &str, filters: &[String]) -> bool {
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

fn is_ancestor_or_self(ancestor: &str, section: &str) -> bool {
    section == ancestor
        || section
            .strip_prefix(ancestor)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('/'))
}

/// Indentation depth: 0 for a spec root, else one more than the dots in the section number.
fn level(section_id: &str) -> usize {
    match section_id.split_once('/') {
        None => 0,
        Some((_, number)) => number.matches('.').count() + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
