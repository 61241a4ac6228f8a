//! Panics in handlers: caught where a worker polls the handler, answered there
//! (a 500, or the end of a WebSocket session), and reported once through
//! `tracing` with the panic's message and location.
//!
//! Why the process's panic hook does not report them: the default hook writes
//! to stderr from inside the panicking poll, and with `RUST_BACKTRACE` set it
//! first captures and symbolises a backtrace, which takes seconds on a debug
//! build or a loaded machine. Every connection of that worker waits meanwhile,
//! so a client that can make a handler panic could stall the worker at will,
//! and the 500 itself arrives seconds late. [`install`] puts a hook in front of
//! the process's: a panic raised while this thread is inside [`poll_caught`] is
//! kept for it and goes no further; every other panic (a worker's own bug, a
//! thread a handler started) goes to the hook that was there before.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::{AssertUnwindSafe, PanicHookInfo};
use std::sync::Once;
use std::task::Poll;

thread_local! {
    /// Set while this thread polls a handler inside [`poll_caught`].
    static POLLING_HANDLER: Cell<bool> = const { Cell::new(false) };
    /// The report of the panic being unwound out of a handler's poll.
    static CAUGHT: RefCell<Option<Caught>> = const { RefCell::new(None) };
}

/// What a caught panic said, and where it was raised when the hook saw it.
#[derive(Debug)]
pub(crate) struct Caught {
    message: String,
    location: Option<String>,
}

impl Caught {
    fn of(info: &PanicHookInfo<'_>) -> Self {
        Self {
            message: message(info.payload()),
            location: info.location().map(ToString::to_string),
        }
    }
}

impl fmt::Display for Caught {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(location) => write!(f, "{} at {location}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// The text `panic!` was given, when it was text.
fn message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic with a non-text payload".to_owned()
    }
}

/// Puts the handler-aware hook in front of the process's panic hook, once per
/// process. A hook the embedding sets later replaces it, and handler panics
/// then reach that hook as well.
pub(crate) fn install() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if POLLING_HANDLER.try_with(Cell::get).unwrap_or(false) {
                let _ = CAUGHT.try_with(|caught| caught.replace(Some(Caught::of(info))));
            } else {
                previous(info);
            }
        }));
    });
}

/// Runs `poll`, one poll of a handler's future; a panic out of it is returned
/// as its report instead of unwinding into the worker.
pub(crate) fn poll_caught<T>(poll: impl FnOnce() -> Poll<T>) -> Result<Poll<T>, Caught> {
    let outer = POLLING_HANDLER.replace(true);
    let result = std::panic::catch_unwind(AssertUnwindSafe(poll));
    POLLING_HANDLER.set(outer);
    result.map_err(|payload| {
        // Without the hook (not installed, or replaced since) only the payload
        // is known.
        CAUGHT.take().unwrap_or_else(|| Caught {
            message: message(&*payload),
            location: None,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_names_the_message_and_the_place() {
        install();
        let line = line!() + 1;
        let caught = poll_caught::<()>(|| panic!("broken {}", 7)).unwrap_err();
        assert_eq!(caught.message, "broken 7");
        let location = caught.location.unwrap();
        assert!(
            location.starts_with(&format!("{}:{line}:", file!())),
            "{location}"
        );
        assert_eq!(poll_caught(|| Poll::Ready(3)).unwrap(), Poll::Ready(3));
        assert!(!POLLING_HANDLER.with(Cell::get));
    }

    #[test]
    fn a_payload_that_is_not_text_is_named_as_such() {
        let payload: Box<dyn std::any::Any + Send> = Box::new(5_u8);
        assert_eq!(message(&*payload), "a panic with a non-text payload");
    }
}
