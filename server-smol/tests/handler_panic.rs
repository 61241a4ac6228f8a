//! A handler's panic is answered 500, the connection carries on, and the panic
//! is reported through `tracing`, never through the process's panic hook, which
//! (with `RUST_BACKTRACE` set) would stall the worker while it symbolises a
//! backtrace. Its own test binary: the panic hook and the tracing subscriber
//! are the process's.
mod common;

use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{Reader, config, connect, start};

/// Panics the process's hook saw.
static HOOKED: AtomicUsize = AtomicUsize::new(0);

/// What the server logged.
static LOG: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct Captured;

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        LOG.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_panicking_handler_gets_500_and_the_connection_survives() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        HOOKED.fetch_add(1, Ordering::SeqCst);
        default(info);
    }));
    tracing_subscriber::fmt()
        .with_writer(|| Captured)
        .with_ansi(false)
        .init();
    let (server, addr) = start(config());
    let mut r = Reader::new(connect(addr));
    r.send(b"GET /panic HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(r.reply().status, 500);
    r.send(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(r.reply().body, b"Hello, World!");
    assert_eq!(
        HOOKED.load(Ordering::SeqCst),
        0,
        "the handler's panic went through the process's panic hook"
    );
    let log = String::from_utf8_lossy(&LOG.lock().unwrap()).into_owned();
    assert!(
        log.contains("handler panicked")
            && log.contains("handler bug at ")
            && log.contains("mod.rs:"),
        "{log}"
    );
    // A panic outside a handler still reaches the hook.
    let elsewhere = std::thread::spawn(|| panic!("not a handler")).join();
    assert!(elsewhere.is_err());
    assert_eq!(HOOKED.load(Ordering::SeqCst), 1);
    server.shutdown();
    server.join();
}
