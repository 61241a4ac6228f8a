//! Listening sockets: `SO_REUSEPORT` so each worker owns one, and the
//! per-connection socket options.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};

use socket2::{Domain, Protocol, Socket, Type};

/// Kernel accept queue length. Large, because back-pressure at
/// `max_connections` leaves connections waiting here instead of refusing them.
const BACKLOG: i32 = 4096;

/// Binds a non-blocking listener on `addr` with `SO_REUSEADDR` and, when
/// `reuse_port` is set, `SO_REUSEPORT`, so that every worker can bind the
/// same address and the kernel spreads connections over them.
pub(crate) fn bind(addr: SocketAddr, reuse_port: bool) -> io::Result<TcpListener> {
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
    socket.listen(BACKLOG)?;
    Ok(socket.into())
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
        let first = bind("127.0.0.1:0".parse().unwrap(), true).unwrap();
        let addr = first.local_addr().unwrap();
        let second = bind(addr, true).unwrap();
        assert_eq!(second.local_addr().unwrap(), addr);
    }

    #[test]
    fn without_reuse_port_the_second_bind_fails() {
        let first = bind("127.0.0.1:0".parse().unwrap(), false).unwrap();
        let addr = first.local_addr().unwrap();
        assert!(bind(addr, false).is_err());
    }
}
