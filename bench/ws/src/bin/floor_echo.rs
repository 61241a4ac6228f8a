//! The floor for the echo benchmark: a WebSocket echo server that does only what the
//! protocol and the kernel force, to measure what any server must spend per message on
//! this machine under the same client. One thread, one level-triggered epoll set, one
//! read per readiness into the connection's own buffer, the frame header parsed in
//! place (RFC 6455 §5.2), the payload unmasked in place (§5.3), and the server's header
//! written over the client's masking key right before the payload, so the echo leaves
//! in one `write` from the same buffer. No allocation per message, no UTF-8 check, no
//! control frames beyond answering a Close: not a server, a measuring stick.
//!
//! Usage: floor-echo <addr>

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;

/// Room for the largest benchmark message (64 KiB) and its header, with space to
/// spare for a second frame behind it.
const BUFFER: usize = 256 * 1024;

struct Conn {
    stream: TcpStream,
    buf: Box<[u8]>,
    /// Bytes held in `buf`.
    len: usize,
    upgraded: bool,
}

fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9004".into());
    let listener = TcpListener::bind(&addr)?;
    listener.set_nonblocking(true)?;
    // SAFETY: plain epoll calls on descriptors this process owns.
    let epoll = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if epoll < 0 {
        return Err(io::Error::last_os_error());
    }
    add(epoll, listener.as_raw_fd())?;
    let mut conns: HashMap<i32, Conn> = HashMap::new();
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 256];
    loop {
        // SAFETY: `events` outlives the call and its length is passed.
        let n = unsafe { libc::epoll_wait(epoll, events.as_mut_ptr(), events.len() as i32, -1) };
        if n < 0 {
            let error = io::Error::last_os_error();
            if error.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(error);
        }
        for event in &events[..n as usize] {
            let fd = event.u64 as i32;
            if fd == listener.as_raw_fd() {
                while let Ok((stream, _)) = listener.accept() {
                    stream.set_nonblocking(true)?;
                    stream.set_nodelay(true)?;
                    let fd = stream.as_raw_fd();
                    add(epoll, fd)?;
                    let conn = Conn {
                        stream,
                        buf: vec![0; BUFFER].into_boxed_slice(),
                        len: 0,
                        upgraded: false,
                    };
                    conns.insert(fd, conn);
                }
                continue;
            }
            let Some(conn) = conns.get_mut(&fd) else {
                continue;
            };
            if !on_readable(conn) {
                conns.remove(&fd);
            }
        }
    }
}

/// Registers `fd` for input, level-triggered: one read per readiness is enough, the
/// next `epoll_wait` reports what is left.
fn add(epoll: i32, fd: i32) -> io::Result<()> {
    let mut event = libc::epoll_event {
        events: libc::EPOLLIN as u32,
        u64: fd as u64,
    };
    // SAFETY: `event` is valid for the call.
    if unsafe { libc::epoll_ctl(epoll, libc::EPOLL_CTL_ADD, fd, &mut event) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// One read, then every whole frame in the buffer echoed; `false` ends the connection.
fn on_readable(conn: &mut Conn) -> bool {
    let n = match conn.stream.read(&mut conn.buf[conn.len..]) {
        Ok(0) => return false,
        Ok(n) => n,
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
        Err(_) => return false,
    };
    conn.len += n;
    if !conn.upgraded {
        return handshake(conn);
    }
    let mut at = 0;
    while let Some((start, end, close)) = frame(&mut conn.buf[at..conn.len]) {
        if close || write_all(&conn.stream, &conn.buf[at + start..at + end]).is_err() {
            return false;
        }
        at += end;
    }
    conn.buf.copy_within(at..conn.len, 0);
    conn.len -= at;
    conn.len < conn.buf.len()
}

/// Writes all of `data`; a full socket buffer (rare: the client reads each echo
/// before it sends again) is waited out in blocking mode.
fn write_all(mut stream: &TcpStream, data: &[u8]) -> io::Result<()> {
    match stream.write(data) {
        Ok(n) if n == data.len() => Ok(()),
        Ok(n) => blocking_write(stream, &data[n..]),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => blocking_write(stream, data),
        Err(e) => Err(e),
    }
}

fn blocking_write(mut stream: &TcpStream, data: &[u8]) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    let written = stream.write_all(data);
    stream.set_nonblocking(true)?;
    written
}

/// Finds the whole masked frame at the start of `buf`, unmasks its payload and writes
/// the unmasked server header right before it. Returns where the echo starts and ends
/// in `buf` (the end is also the client frame's end) and whether it was a Close.
fn frame(buf: &mut [u8]) -> Option<(usize, usize, bool)> {
    let b1 = *buf.get(1)?;
    let (len, head) = match b1 & 0x7f {
        126 => (
            u16::from_be_bytes(buf.get(2..4)?.try_into().ok()?) as usize,
            4,
        ),
        127 => (
            u64::from_be_bytes(buf.get(2..10)?.try_into().ok()?) as usize,
            10,
        ),
        n => (n as usize, 2),
    };
    let end = (head + 4usize).checked_add(len)?;
    if buf.len() < end {
        return None;
    }
    let key: [u8; 4] = buf[head..head + 4].try_into().ok()?;
    let wide = u64::from(u32::from_le_bytes(key)) * 0x1_0000_0001;
    let mut words = buf[head + 4..end].chunks_exact_mut(8);
    for word in &mut words {
        let v = u64::from_le_bytes((&*word).try_into().unwrap_or_default()) ^ wide;
        word.copy_from_slice(&v.to_le_bytes());
    }
    for (b, k) in words.into_remainder().iter_mut().zip(key) {
        *b ^= k;
    }
    let opcode = buf[0] & 0x0f;
    // The server header is the client's without the mask bit and key: four bytes
    // shorter, so it fits where the header's last four bytes (the key) were.
    let first = buf[0];
    let start = 4;
    // The extended length first: it may overlap the two bytes written after it.
    buf.copy_within(2..head, start + 2);
    buf[start] = first;
    buf[start + 1] = b1 & 0x7f;
    Some((start, end, opcode == 0x8))
}

/// Answers the upgrade request (RFC 6455 §4.2.2) once it is whole.
fn handshake(conn: &mut Conn) -> bool {
    let head = &conn.buf[..conn.len];
    let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") else {
        return conn.len < 16 * 1024;
    };
    let text = String::from_utf8_lossy(&head[..end]);
    let Some(key) = text.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("sec-websocket-key")
            .then(|| value.trim().to_owned())
    }) else {
        return false;
    };
    let accept = ws_proto::accept_value(&key);
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\
         sec-websocket-accept: {accept}\r\n\r\n"
    );
    if conn.stream.write_all(response.as_bytes()).is_err() {
        return false;
    }
    conn.buf.copy_within(end + 4..conn.len, 0);
    conn.len -= end + 4;
    conn.upgraded = true;
    true
}
