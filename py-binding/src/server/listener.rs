//! Server options that arrive from Python as plain values and need checking or a
//! conversion before server-smol takes them: an inherited listening socket, and the
//! fields every response carries.

use std::net::TcpListener;
use std::os::fd::{BorrowedFd, OwnedFd, RawFd};
use std::os::unix::net::UnixListener;

use bytes::{Bytes, BytesMut};
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;

/// A listening socket handed over by descriptor.
#[derive(Debug)]
pub(super) enum Inherited {
    Tcp(TcpListener),
    /// A Unix domain socket (`--uds`, or a service manager's).
    Unix(UnixListener),
}

/// A listener of our own on the socket behind descriptor `fd`, which the caller
/// keeps open: a duplicate, so that closing ours never closes theirs.
pub(super) fn inherit(fd: RawFd) -> PyResult<Inherited> {
    if fd < 0 {
        return Err(PyValueError::new_err(format!("invalid descriptor {fd}")));
    }
    // SAFETY: the descriptor is only borrowed for the `dup` below, and the caller
    // keeps it open during this call (the Python side passes the `fileno()` of a
    // socket object it holds). A descriptor that is not open makes `dup` fail with
    // EBADF, which is reported, not undefined behaviour in the kernel call.
    let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
    let owned = borrowed
        .try_clone_to_owned()
        .map_err(|e| PyOSError::new_err(format!("descriptor {fd}: {e}")))?;
    // A descriptor that is neither a TCP nor a Unix socket would fail at every
    // accept; refuse it now instead. Each `local_addr` checks the address family.
    let duplicate = |owned: &OwnedFd| {
        owned
            .try_clone()
            .map_err(|e| PyOSError::new_err(format!("descriptor {fd}: {e}")))
    };
    let tcp = TcpListener::from(duplicate(&owned)?);
    if tcp.local_addr().is_ok() {
        return Ok(Inherited::Tcp(tcp));
    }
    let unix = UnixListener::from(owned);
    match unix.local_addr() {
        Ok(_) => Ok(Inherited::Unix(unix)),
        Err(e) => Err(PyOSError::new_err(format!(
            "descriptor {fd} is neither a TCP nor a Unix socket: {e}"
        ))),
    }
}

/// `(name, value)` pairs as response fields, lowercase names, each one checked with
/// the HTTP/1.1 writer's own rules (tokens for names, no CR, LF or NUL in values,
/// RFC 9110 §5.1 and §5.5), so that a bad default is refused at start instead of
/// turning every response into a 500.
pub(super) fn response_fields(pairs: Vec<(String, String)>) -> PyResult<Vec<(Bytes, Bytes)>> {
    let mut fields = Vec::with_capacity(pairs.len());
    for (name, value) in pairs {
        let name = Bytes::from(name.to_ascii_lowercase());
        let value = Bytes::from(value);
        let mut single = http1_proto::HeaderMap::new();
        single.append(name.clone(), value.clone());
        http1_proto::write_fields(&single, &mut BytesMut::new()).map_err(|e| {
            PyValueError::new_err(format!(
                "response header {}: {e}",
                String::from_utf8_lossy(&name)
            ))
        })?;
        fields.push((name, value));
    }
    Ok(fields)
}
