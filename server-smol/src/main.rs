//! `server-smol`: serves the demo app over HTTP/1.1, h2c, TLS (h2, http/1.1) and
//! HTTP/3 (QUIC).
//!
//! `cargo run --release -p weft-server` listens on 127.0.0.1:8080 (cleartext)
//! and 127.0.0.1:8443 (TLS, self-signed; HTTP/3 on the same port over UDP) until
//! SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use weft_server::{Layout, Server, ServerConfig, TlsSource, WsOptions};

mod demo;

/// weft's reference server, serving its demo app.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Cleartext listener (HTTP/1.1, and HTTP/2 with prior knowledge).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// TLS listener (ALPN h2 and http/1.1).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8443")]
    tls_bind: SocketAddr,
    /// Serve cleartext only.
    #[arg(long)]
    no_tls: bool,
    /// HTTP/3 listener (UDP); by default the TLS listener's address, over UDP.
    #[arg(long, value_name = "ADDR")]
    h3_bind: Option<SocketAddr>,
    /// Do not serve HTTP/3.
    #[arg(long, conflicts_with = "h3_bind")]
    no_h3: bool,
    /// One UDP datagram per system call for HTTP/3 (no GSO or GRO).
    #[arg(long)]
    no_udp_offload: bool,
    /// Refuse HTTP/2 prior knowledge on the cleartext listener.
    #[arg(long)]
    no_h2c: bool,
    /// PEM certificate chain for TLS (with --tls-key); self-signed when absent.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for TLS (with --tls-cert).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Worker threads; 0 means one per available core.
    #[arg(long, value_name = "N", default_value_t = 0)]
    workers: usize,
    /// Thread layout: an executor and SO_REUSEPORT listener per worker, or one
    /// shared multi-threaded executor.
    #[arg(long, value_enum, default_value_t = LayoutArg::PerCore)]
    layout: LayoutArg,
    /// Directory served under /static/.
    #[arg(long, value_name = "DIR")]
    static_dir: Option<PathBuf>,
    /// Most open connections; beyond it the server stops accepting.
    #[arg(long, value_name = "N", default_value_t = 25_000)]
    max_connections: usize,
    /// Largest request body in bytes (413 beyond).
    #[arg(long, value_name = "BYTES", default_value_t = 10 * 1024 * 1024)]
    max_body: u64,
    /// Most request-body bytes one connection holds across its requests at once
    /// (HTTP/2 flow control enforces it); never less than --max-body.
    #[arg(long, value_name = "BYTES", default_value_t = 16 * 1024 * 1024)]
    max_connection_body: u64,
    /// Largest HTTP/1.1 request head in bytes (431 beyond).
    #[arg(long, value_name = "BYTES", default_value_t = 16 * 1024)]
    max_head: usize,
    /// Most header fields in one request (431 beyond).
    #[arg(long, value_name = "N", default_value_t = 100)]
    max_headers: usize,
    /// HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS.
    #[arg(long, value_name = "N", default_value_t = 128)]
    h2_max_streams: u32,
    /// HTTP/2 SETTINGS_MAX_HEADER_LIST_SIZE in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 16 * 1024)]
    h2_max_header_list: u32,
    /// Seconds to receive a request head or HTTP/2 header block (slowloris guard), also the TLS handshake.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = seconds)]
    header_timeout: Duration,
    /// Longest pause in seconds while a request body arrives (HTTP/1.1 reads, HTTP/2 DATA frames), or while a response write waits for the client.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = seconds)]
    body_timeout: Duration,
    /// Seconds an idle keep-alive connection stays open.
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = seconds)]
    keep_alive_timeout: Duration,
    /// Seconds between HTTP/2 keep-alive PINGs; 0 turns them off.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = seconds)]
    h2_ping_interval: Duration,
    /// Seconds a graceful shutdown waits for in-flight requests.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = seconds)]
    shutdown_timeout: Duration,
    /// WebSocket subprotocol the routes speak, most preferred first (repeat the flag for more).
    #[arg(long = "ws-subprotocol", value_name = "NAME")]
    ws_subprotocols: Vec<String>,
    /// Refuse permessage-deflate on WebSocket routes.
    #[arg(long)]
    ws_no_compression: bool,
    /// Largest WebSocket message in bytes, after inflation (closed with 1009 beyond).
    #[arg(long, value_name = "BYTES", default_value_t = 16 << 20)]
    ws_max_message: usize,
    /// Seconds of silence before a WebSocket peer is pinged; 0 turns pings off.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = seconds)]
    ws_ping_interval: Duration,
    /// Seconds a WebSocket ping may go unanswered before the peer is closed (1011).
    #[arg(long, value_name = "SECS", default_value = "20", value_parser = seconds)]
    ws_pong_timeout: Duration,
    /// Seconds to wait for the peer's Close after sending ours.
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = seconds)]
    ws_close_timeout: Duration,
    /// Log format for the access log and errors (filter with RUST_LOG).
    #[arg(long, value_enum, default_value_t = LogFormat::Compact)]
    log: LogFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LayoutArg {
    PerCore,
    Shared,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Off,
    Compact,
    Json,
}

fn seconds(text: &str) -> Result<Duration, String> {
    let secs: f64 = text.parse().map_err(|e| format!("{e}"))?;
    Duration::try_from_secs_f64(secs).map_err(|e| format!("{e}"))
}

fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only for a terminal; logs written to files stay greppable.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    match format {
        LogFormat::Off => {}
        LogFormat::Compact => tracing_subscriber::fmt()
            .compact()
            .with_ansi(ansi)
            .with_env_filter(filter())
            .with_writer(std::io::stderr)
            .init(),
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter())
            .with_writer(std::io::stderr)
            .init(),
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    init_logging(args.log);
    let mut config = ServerConfig::default();
    config.bind = Some(args.bind);
    config.tls_bind = (!args.no_tls).then_some(args.tls_bind);
    config.h3_bind = match (args.no_h3, args.h3_bind) {
        (true, _) => None,
        (false, Some(addr)) => Some(addr),
        (false, None) => config.tls_bind,
    };
    config.udp_offload = !args.no_udp_offload;
    config.h2c = !args.no_h2c;
    config.tls = match (args.tls_cert, args.tls_key) {
        (Some(cert), Some(key)) => TlsSource::Files { cert, key },
        _ => TlsSource::SelfSigned,
    };
    config.workers = args.workers;
    config.layout = match args.layout {
        LayoutArg::PerCore => Layout::PerCore,
        LayoutArg::Shared => Layout::Shared,
    };
    config.limits.max_connections = args.max_connections;
    config.limits.max_body = args.max_body;
    config.limits.max_connection_body = args.max_connection_body;
    config.limits.max_head = args.max_head;
    config.limits.max_headers = args.max_headers;
    config.limits.h2_max_concurrent_streams = args.h2_max_streams;
    config.limits.h2_max_header_list = args.h2_max_header_list;
    config.timeouts.header_read = args.header_timeout;
    config.timeouts.body_read = args.body_timeout;
    config.timeouts.keep_alive = args.keep_alive_timeout;
    config.timeouts.h2_ping = (!args.h2_ping_interval.is_zero()).then_some(args.h2_ping_interval);
    config.timeouts.shutdown = args.shutdown_timeout;
    config.ws = WsOptions::default()
        .with_protocols(args.ws_subprotocols)
        .with_compression(!args.ws_no_compression)
        .with_max_message_size(args.ws_max_message)
        .with_ping(
            (!args.ws_ping_interval.is_zero()).then_some(args.ws_ping_interval),
            args.ws_pong_timeout,
        );
    config.ws.close_timeout = args.ws_close_timeout;

    let static_root = args.static_dir.unwrap_or_else(demo::default_static_root);
    let app = match demo::app(&static_root) {
        Ok(app) => app,
        Err(error) => {
            tracing::error!(%error, root = %static_root.display(), "static directory");
            return ExitCode::FAILURE;
        }
    };
    let workers = config.worker_count();
    let running = match Server::new(config, app).bind() {
        Ok(running) => running,
        Err(error) => {
            tracing::error!(%error, "cannot start");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(
        http = ?running.local_addr(),
        https = ?running.tls_local_addr(),
        h3 = ?running.h3_local_addr(),
        workers,
        "serving"
    );
    if let Err(error) = weft_server::wait_for_signal() {
        tracing::error!(%error, "installing signal handlers");
        return ExitCode::FAILURE;
    }
    running.shutdown();
    running.join();
    tracing::info!("stopped");
    ExitCode::SUCCESS
}
