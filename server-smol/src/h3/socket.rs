//! The UDP socket of an HTTP/3 endpoint, through quinn-udp (quinn's own socket layer):
//! many datagrams per system call where the kernel offers it, and one per call where it
//! does not.
//!
//! - Send: a batch of equal-sized datagrams from quinn-proto goes out in one `sendmsg`
//!   with `UDP_SEGMENT` (generic segmentation offload, Linux 4.18), the kernel cutting it.
//!   A kernel or a device that refuses it (EIO or EINVAL) turns it off for the socket,
//!   and the refused batch goes out again one datagram at a time.
//! - Receive: `recvmmsg` fills several buffers per call, and with `UDP_GRO` (Linux 5.0)
//!   one buffer holds many datagrams of one sender, `stride` bytes apart.
//! - ECN and the local address travel in control messages (RFC 9000 §13.4).

use std::io::{self, IoSliceMut};
use std::net::{SocketAddr, UdpSocket};
use std::task::{Context, Poll};

use bytes::BytesMut;
use quinn_proto::{EcnCodepoint, Transmit};
use quinn_udp::{RecvMeta, UdpSocketState};
use smol::Async;

/// Socket buffer sizes asked for (the kernel caps them at `net.core.rmem_max` and
/// `wmem_max`). The default, about 200 KiB, holds some 150 full datagrams: a burst of
/// one congestion window on a fast path overflows it, and every datagram the receive
/// buffer drops is a loss that halves the window (RFC 9002 §7.3.2).
const SOCKET_BUFFER: usize = 4 * 1024 * 1024;

/// The largest UDP payload we read when the kernel coalesces nothing.
const MAX_DATAGRAM: usize = 65_535;

/// The largest datagram quinn-proto lets a peer send (its default
/// `max_udp_payload_size`: an Ethernet MTU less the IPv4 and UDP headers); with GRO a
/// receive buffer holds up to `gro_segments` of them.
const MAX_QUIC_DATAGRAM: usize = 1_472;

/// Datagrams one segmented send carries at most. The kernel takes up to 64, but
/// their sum is one UDP datagram to it, which cannot exceed 65,507 bytes (the 16-bit
/// length less the headers): 64 full datagrams of 1,472 bytes are refused whole
/// (EMSGSIZE). Ten is quinn's own choice, and keeps a batch within one pacing burst.
const MAX_SEGMENTS: usize = 10;

/// Receive buffers filled by one `recvmmsg`.
const RECV_BATCH: usize = 8;

/// One datagram read from the socket.
pub(crate) struct Datagram {
    pub(crate) from: SocketAddr,
    pub(crate) local_ip: Option<std::net::IpAddr>,
    pub(crate) ecn: Option<EcnCodepoint>,
    pub(crate) data: BytesMut,
}

/// A UDP socket with segmentation offload where the kernel has it.
pub(crate) struct UdpIo {
    socket: Async<UdpSocket>,
    state: UdpSocketState,
    /// False when offload is off (by configuration, or refused by the kernel):
    /// one datagram per system call.
    offload: bool,
    buf: Vec<u8>,
    slot: usize,
    metas: [RecvMeta; RECV_BATCH],
    /// Buffers of the last `recvmmsg` not yet handed out, and the offset in the current.
    filled: usize,
    next: usize,
    offset: usize,
}

impl UdpIo {
    /// Wraps `socket`; with `offload` false, GSO and GRO stay off (one datagram per
    /// system call, as on a kernel without them).
    pub(crate) fn new(socket: UdpSocket, offload: bool) -> io::Result<Self> {
        let state = UdpSocketState::new((&socket).into())?;
        // Larger buffers are an optimisation: a kernel that refuses keeps its default.
        let _ = state.set_recv_buffer_size((&socket).into(), SOCKET_BUFFER);
        let _ = state.set_send_buffer_size((&socket).into(), SOCKET_BUFFER);
        let offload = offload && state.max_gso_segments() > 1;
        let gro = if offload { state.gro_segments() } else { 1 };
        let slot = MAX_DATAGRAM.max(gro * MAX_QUIC_DATAGRAM);
        let batch = if offload { RECV_BATCH } else { 1 };
        Ok(Self {
            socket: Async::new(socket)?,
            state,
            offload,
            buf: vec![0; slot * batch],
            slot,
            metas: [RecvMeta::default(); RECV_BATCH],
            filled: 0,
            next: 0,
            offset: 0,
        })
    }

    /// Datagrams one transmit of quinn-proto may carry: 1 without offload.
    pub(crate) fn max_segments(&self) -> usize {
        if self.offload {
            self.state.max_gso_segments().min(MAX_SEGMENTS)
        } else {
            1
        }
    }

    /// The next datagram, reading the socket when the last batch is used up;
    /// `Pending` (and a wake-up registered) when it is empty.
    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Datagram>> {
        loop {
            if let Some(datagram) = self.next_datagram() {
                return Poll::Ready(Ok(datagram));
            }
            match self.recv() {
                Ok(n) => {
                    self.filled = n;
                    self.next = 0;
                    self.offset = 0;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if self.socket.poll_readable(cx).is_ready() {
                        continue;
                    }
                    return Poll::Pending;
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    fn recv(&mut self) -> io::Result<usize> {
        let batch = self.buf.len() / self.slot;
        let mut bufs: Vec<IoSliceMut<'_>> = self
            .buf
            .chunks_mut(self.slot)
            .take(batch)
            .map(IoSliceMut::new)
            .collect();
        let metas = &mut self.metas[..batch];
        self.state
            .recv(self.socket.get_ref().into(), &mut bufs, metas)
    }

    /// Cuts the next datagram out of the buffers read last (a GRO buffer holds
    /// several, `stride` bytes apart; the last may be shorter).
    fn next_datagram(&mut self) -> Option<Datagram> {
        while self.next < self.filled {
            let meta = self.metas.get(self.next)?;
            let len = meta.len.min(self.slot);
            if self.offset >= len || meta.stride == 0 {
                self.next += 1;
                self.offset = 0;
                continue;
            }
            let start = self.next * self.slot + self.offset;
            let end = start + meta.stride.min(len - self.offset);
            self.offset += meta.stride;
            let data = BytesMut::from(self.buf.get(start..end)?);
            return Some(Datagram {
                from: meta.addr,
                local_ip: meta.dst_ip,
                ecn: meta.ecn.and_then(|e| EcnCodepoint::from_bits(e as u8)),
                data,
            });
        }
        None
    }

    /// Waits until the socket can take a datagram again.
    pub(crate) fn poll_writable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.socket.poll_writable(cx)
    }

    /// Sends what quinn-proto wrote into `buf` for `transmit`. `WouldBlock` when the
    /// socket buffer is full: the caller keeps the transmit and waits for
    /// [`poll_writable`](Self::poll_writable). Other failures drop it, as the network
    /// may drop any datagram: QUIC retransmits what was lost (RFC 9002).
    pub(crate) fn send(&mut self, transmit: &Transmit, buf: &[u8]) -> io::Result<()> {
        let Some(contents) = buf.get(..transmit.size) else {
            return Ok(());
        };
        let socket = self.socket.get_ref();
        let state = &self.state;
        let offload = &mut self.offload;
        send_with_fallback(transmit, contents, offload, |t| {
            state.try_send(socket.into(), t)
        })
    }
}

/// Sends one transmit through `send`. A batch the kernel refuses to segment (EIO or
/// EINVAL: the device or the path cannot) turns offload off and goes out one datagram
/// at a time; a datagram too large for the path (an MTU probe, RFC 8899) is dropped
/// quietly, as quinn-proto expects of a probe that does not arrive.
fn send_with_fallback(
    transmit: &Transmit,
    contents: &[u8],
    offload: &mut bool,
    mut send: impl FnMut(&quinn_udp::Transmit<'_>) -> io::Result<()>,
) -> io::Result<()> {
    let whole = quinn_udp::Transmit {
        destination: transmit.destination,
        ecn: transmit
            .ecn
            .and_then(|e| quinn_udp::EcnCodepoint::from_bits(e as u8)),
        contents,
        segment_size: transmit.segment_size,
        src_ip: transmit.src_ip,
    };
    let error = match send(&whole) {
        Ok(()) => return Ok(()),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Err(e),
        Err(e) => e,
    };
    let segment = match transmit.segment_size {
        Some(size) if size > 0 && size < contents.len() && refused_offload(&error) => size,
        _ => {
            if !quinn_udp::is_msg_size_err(&error) {
                tracing::debug!(%error, "sending a datagram");
            }
            return Ok(());
        }
    };
    tracing::info!(%error, "the kernel refused UDP segmentation offload; sending one datagram per call");
    *offload = false;
    for piece in contents.chunks(segment) {
        let single = quinn_udp::Transmit {
            contents: piece,
            segment_size: None,
            ..whole.clone()
        };
        match send(&single) {
            Ok(()) => {}
            // The rest of the batch is lost: QUIC retransmits it.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(error) => tracing::debug!(%error, "sending a datagram"),
        }
    }
    Ok(())
}

/// Whether a send failed because of segmentation offload itself.
fn refused_offload(error: &io::Error) -> bool {
    use rustix::io::Errno;
    matches!(Errno::from_io_error(error), Some(Errno::IO | Errno::INVAL))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn pair() -> (UdpSocket, UdpSocket) {
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").unwrap();
        (a, b)
    }

    /// A batch of three full datagrams and a short last one, as quinn-proto writes it.
    fn batch(to: SocketAddr) -> (Transmit, Vec<u8>) {
        let buf: Vec<u8> = (0..3 * 1200 + 500).map(|i| (i % 251) as u8).collect();
        let transmit = Transmit {
            destination: to,
            ecn: None,
            size: buf.len(),
            segment_size: Some(1200),
            src_ip: None,
        };
        (transmit, buf)
    }

    /// Every datagram `io` reads within a second, with its length.
    fn drain(io: &mut UdpIo, want: usize) -> Vec<Datagram> {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let deadline = crate::clock::precise_now() + Duration::from_secs(1);
        let mut got = Vec::new();
        while got.len() < want && crate::clock::precise_now() < deadline {
            match io.poll_recv(&mut cx) {
                Poll::Ready(Ok(d)) => got.push(d),
                Poll::Ready(Err(e)) => panic!("{e}"),
                Poll::Pending => std::thread::sleep(Duration::from_millis(1)),
            }
        }
        got
    }

    fn lengths(got: &[Datagram]) -> Vec<usize> {
        got.iter().map(|d| d.data.len()).collect()
    }

    #[test]
    fn a_batch_arrives_as_its_datagrams_with_offload_on_and_off() {
        for offload in [true, false] {
            let (a, b) = pair();
            let to = b.local_addr().unwrap();
            let mut sender = UdpIo::new(a, offload).unwrap();
            let mut receiver = UdpIo::new(b, offload).unwrap();
            if !offload {
                assert_eq!(sender.max_segments(), 1);
            }
            let (transmit, buf) = batch(to);
            let transmit = if sender.max_segments() > 1 {
                transmit
            } else {
                // Without offload quinn-proto writes one datagram per transmit.
                Transmit {
                    size: 1200,
                    segment_size: None,
                    ..transmit
                }
            };
            sender.send(&transmit, &buf).unwrap();
            let want: &[usize] = if transmit.segment_size.is_some() {
                &[1200, 1200, 1200, 500]
            } else {
                &[1200]
            };
            let got = drain(&mut receiver, want.len());
            if offload && receiver.state.gro_segments() > 1 {
                // Loopback hands a segmented send to a GRO socket whole: one buffer,
                // cut at `stride`.
                assert_eq!(receiver.metas[0].stride, 1200);
                assert_eq!(receiver.metas[0].len, buf.len());
            }
            assert_eq!(lengths(&got), want, "offload {offload}");
            let joined: Vec<u8> = got.iter().flat_map(|d| d.data.iter().copied()).collect();
            assert_eq!(joined, buf[..joined.len()], "offload {offload}");
            assert!(got.iter().all(|d| d.from.port() != 0));
        }
    }

    #[test]
    fn a_full_batch_of_the_largest_datagrams_goes_out_in_one_call() {
        let (a, b) = pair();
        let to = b.local_addr().unwrap();
        let mut sender = UdpIo::new(a, true).unwrap();
        let mut receiver = UdpIo::new(b, true).unwrap();
        let segments = sender.max_segments();
        let buf = vec![7; segments * MAX_QUIC_DATAGRAM];
        let transmit = Transmit {
            destination: to,
            ecn: None,
            size: buf.len(),
            segment_size: (segments > 1).then_some(MAX_QUIC_DATAGRAM),
            src_ip: None,
        };
        sender.send(&transmit, &buf).unwrap();
        let got = drain(&mut receiver, segments);
        assert_eq!(lengths(&got), vec![MAX_QUIC_DATAGRAM; segments]);
    }

    #[test]
    fn a_batch_the_kernel_refuses_goes_out_one_datagram_at_a_time() {
        let to = SocketAddr::from(([127, 0, 0, 1], 9));
        let (transmit, buf) = batch(to);
        let mut offload = true;
        let mut sent = Vec::new();
        let result = send_with_fallback(&transmit, &buf, &mut offload, |t| {
            if t.segment_size.is_some() {
                // What a device without segmentation offload answers (udp_send_skb).
                return Err(rustix::io::Errno::IO.into());
            }
            sent.push(t.contents.to_vec());
            Ok(())
        });
        result.unwrap();
        assert!(!offload, "offload stays off after a refusal");
        assert_eq!(
            sent.iter().map(Vec::len).collect::<Vec<_>>(),
            [1200, 1200, 1200, 500]
        );
        assert_eq!(sent.concat(), buf);
    }

    #[test]
    fn a_full_socket_buffer_is_reported_not_dropped() {
        let (transmit, buf) = batch(SocketAddr::from(([127, 0, 0, 1], 9)));
        let mut offload = true;
        let result = send_with_fallback(&transmit, &buf, &mut offload, |_| {
            Err(io::ErrorKind::WouldBlock.into())
        });
        assert_eq!(result.unwrap_err().kind(), io::ErrorKind::WouldBlock);
        assert!(offload);
    }

    #[test]
    fn a_datagram_too_large_for_the_path_is_dropped_quietly() {
        let (transmit, buf) = batch(SocketAddr::from(([127, 0, 0, 1], 9)));
        let mut offload = true;
        let mut calls = 0;
        let result = send_with_fallback(&transmit, &buf, &mut offload, |_| {
            calls += 1;
            Err(rustix::io::Errno::MSGSIZE.into())
        });
        result.unwrap();
        assert_eq!(calls, 1);
        assert!(offload);
    }
}
