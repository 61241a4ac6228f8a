#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod catalogue;
mod frame;
mod h1;
mod h2;
mod h3;
mod header_block;
mod hpack_corpus;
mod report;
mod transport;

use std::net::ToSocketAddrs;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use report::{CaseReport, Totals};
use transport::{Target, TlsOptions};

#[derive(Debug, Parser)]
#[command(
    name = "conformance",
    version,
    about = "Protocol conformance checks for HTTP servers"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP/2 conformance catalogue (h2spec's cases) against a server.
    H2(H2Args),
    /// Run the HTTP/3 (RFC 9114) and QPACK (RFC 9204) cases against a server over QUIC.
    H3(H3Args),
    /// Run the HTTP/1.1 (RFC 9112) framing and connection cases against a server.
    H1(H1Args),
    /// Decode the hpack-test-case corpus with the `hpack` crate.
    Hpack(HpackArgs),
}

#[derive(Debug, Args)]
struct ServerArgs {
    /// Host name or address of the server.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port of the server.
    #[arg(long)]
    port: u16,
    /// Connect over TLS (ALPN h2 or http/1.1).
    #[arg(long)]
    tls: bool,
    /// Accept any TLS certificate (self-signed test servers).
    #[arg(long, requires = "tls")]
    insecure: bool,
    #[command(flatten)]
    run: RunArgs,
}

/// What every catalogue takes besides the server's address.
#[derive(Debug, Args)]
struct RunArgs {
    /// Seconds to wait for each answer from the server.
    #[arg(long, default_value_t = 2.0, value_parser = parse_timeout)]
    timeout: f64,
    /// Write a JUnit XML report to this file.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Cases run at the same time, each on its own connection.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    jobs: u16,
    /// A path the server answers with 200 and a non-empty body, for GET and POST.
    #[arg(long, default_value = "/")]
    path: String,
    /// A path that answers POST with 2xx, when it is not --path.
    #[arg(long)]
    post_path: Option<String>,
}

impl RunArgs {
    /// The POST path, `--path` unless given.
    fn post_path(&self) -> String {
        self.post_path.clone().unwrap_or_else(|| self.path.clone())
    }

    /// Writes the JUnit file if asked, and turns the totals into the exit status.
    fn finish(&self, suite: &str, reports: &[CaseReport]) -> ExitCode {
        if let Some(path) = &self.junit
            && let Err(err) = report::write_junit(path, suite, reports)
        {
            report::line(&format!("cannot write {}: {err}", path.display()));
            return ExitCode::FAILURE;
        }
        let totals = Totals::of(reports);
        if totals.failed == 0 && totals.tests > 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    }
}

#[derive(Debug, Args)]
struct H2Args {
    #[command(flatten)]
    server: ServerArgs,
    /// Also run the strict cases (h2spec's -S).
    #[arg(long)]
    strict: bool,
    /// Also run the RFC 8441 cases (extended CONNECT, WebSocket over HTTP/2), with a
    /// WebSocket echo at this path; they are not part of h2spec's catalogue.
    #[arg(long, value_name = "WS_PATH")]
    extended_connect: Option<String>,
    /// Sections or cases to run, as h2spec names them (`http2/5.1`, `generic/3.10/2`); all by default.
    sections: Vec<String>,
}

#[derive(Debug, Args)]
struct H1Args {
    #[command(flatten)]
    server: ServerArgs,
    /// Cases to run by id (`h1/smuggling/1`) or prefix (`h1/smuggling`); all by default.
    cases: Vec<String>,
}

#[derive(Debug, Args)]
struct H3Args {
    /// The server's UDP address, `HOST:PORT`.
    #[arg(long)]
    target: String,
    /// Accept any TLS certificate (self-signed test servers).
    #[arg(long)]
    insecure: bool,
    #[command(flatten)]
    run: RunArgs,
    /// Also run the RFC 9220 cases (extended CONNECT, WebSocket over HTTP/3), with a
    /// WebSocket echo at this path.
    #[arg(long, value_name = "WS_PATH")]
    extended_connect: Option<String>,
    /// Cases to run by id (`h3/7.2.4/2`) or section (`h3/6.2`, `qpack`); all by default.
    cases: Vec<String>,
}

impl H3Args {
    fn target(&self) -> Result<h3::Target, String> {
        let addr = self
            .target
            .to_socket_addrs()
            .map_err(|err| format!("{}: {err}", self.target))?
            .next()
            .ok_or_else(|| format!("{}: no address", self.target))?;
        let host = self
            .target
            .rsplit_once(':')
            .map_or(self.target.as_str(), |(host, _)| host)
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        Ok(h3::Target {
            addr,
            host,
            tls: transport::client_config(self.insecure, b"h3")?,
            timeout: Duration::from_secs_f64(self.run.timeout),
        })
    }
}

#[derive(Debug, Args)]
struct HpackArgs {
    /// The hpack-test-case corpus: its `.tar.xz` or an unpacked checkout
    /// (default: `testdata/hpack-test-case.tar.xz` of the source tree this was built from).
    corpus: Option<PathBuf>,
}

fn parse_timeout(s: &str) -> Result<f64, String> {
    let seconds: f64 = s.parse().map_err(|err| format!("{err}"))?;
    if seconds.is_finite() && seconds > 0.0 && seconds <= 3600.0 {
        Ok(seconds)
    } else {
        Err("the timeout is a number of seconds between 0 and 3600".into())
    }
}

impl ServerArgs {
    fn target(&self, alpn: &[u8]) -> Result<Target, String> {
        let tls = TlsOptions {
            enabled: self.tls,
            insecure: self.insecure,
        };
        Target::new(
            &self.host,
            self.port,
            tls,
            alpn,
            Duration::from_secs_f64(self.run.timeout),
        )
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::H2(args) => {
            let target = match args.server.target(b"h2") {
                Ok(target) => target,
                Err(err) => return setup_error(&err),
            };
            let options = h2::Options {
                strict: args.strict,
                jobs: usize::from(args.server.run.jobs),
                path: args.server.run.path.clone(),
                post_path: args.server.run.post_path(),
                filters: args.sections,
                extended_connect: args.extended_connect,
            };
            let reports = h2::run(&target, &options);
            args.server.run.finish("h2", &reports)
        }
        Command::H3(args) => {
            let target = match args.target() {
                Ok(target) => target,
                Err(err) => return setup_error(&err),
            };
            let options = h3::Options {
                jobs: usize::from(args.run.jobs),
                path: args.run.path.clone(),
                post_path: args.run.post_path(),
                filters: args.cases.clone(),
                extended_connect: args.extended_connect.clone(),
            };
            let reports = h3::run(&target, &options);
            args.run.finish("h3", &reports)
        }
        Command::H1(args) => {
            let target = match args.server.target(b"http/1.1") {
                Ok(target) => target,
                Err(err) => return setup_error(&err),
            };
            let options = h1::Options {
                jobs: usize::from(args.server.run.jobs),
                path: args.server.run.path.clone(),
                post_path: args.server.run.post_path(),
                filters: args.cases,
                extended_connect: None,
            };
            let reports = h1::run(&target, &options);
            args.server.run.finish("h1", &reports)
        }
        Command::Hpack(args) => {
            let corpus = args.corpus.unwrap_or_else(hpack_corpus::default_path);
            if hpack_corpus::run(&corpus) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn setup_error(err: &str) -> ExitCode {
    report::line(&format!("conformance: {err}"));
    ExitCode::from(2)
}
