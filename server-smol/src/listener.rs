//! Listening sockets: `SO_REUSEPORT` so each worker owns one, and the
//! per-connection socket options.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsFd, OwnedFd};

use socket2::{Domain, Protocol, Socket, Type};

/// Binds a non-blocking listener on `addr` with `SO_REUSEADDR` and, when
/// `reuse_port` is set, `SO_REUSEPORT`, so that every worker can bind the
/// same address and the kernel spreads connections over them. `backlog`
/// is the accept queue length (`listen(2)`; the kernel caps it at
/// `net.core.somaxconn`).
pub(crate) fn bind(addr: SocketAddr, reuse_port: bool, backlog: u32) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    #[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
    if reuse_port {
        socket.set_reuse_port(true)?;
    }
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
    Ok(socket.into())
}

/// `count` duplicates of a socket that is already listening (TCP or Unix),
/// non-blocking, one per worker: they share the socket's one accept queue.
pub(crate) fn duplicate<L: AsFd + From<OwnedFd>>(listener: &L, count: usize) -> io::Result<Vec<L>> {
    (0..count)
        .map(|_| {
            let copy = listener.as_fd().try_clone_to_owned()?;
            socket2::SockRef::from(&copy).set_nonblocking(true)?;
            Ok(L::from(copy))
        })
        .collect()
}

/// Options for an accepted connection: `TCP_NODELAY`, because every write
/// we make is a complete response or frame batch and Nagle would only delay it.
pub(crate) fn tune(stream: &TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_listeners_share_a_port_with_reuse_port() {
        let first = bind("127.0.0.1:0".parse().unwrap(), true, 16).unwrap();
        let addr = first.local_addr().unwrap();
        let second = bind(addr, true, 16).unwrap();
        assert_eq!(second.local_addr().unwrap(), addr);
    }

    #[test]
    fn without_reuse_port_the_second_bind_fails() {
        let first = bind("127.0.0.1:0".parse().unwrap(), false, 16).unwrap();
        let addr = first.local_addr().unwrap();
        assert!(bind(addr, false, 16).is_err());
    }
}
