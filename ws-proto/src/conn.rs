//! The connection state machine (RFC 6455 §5, §7), driven as every weft protocol crate is:
//! bytes in through `recv`, events, bytes and deadlines out through `poll_*`.

use std::collections::VecDeque;
use std::time::Instant;

use bytes::{Buf, Bytes, BytesMut};
use http_core::Role;

use crate::close::{CloseCode, CloseFrame, MAX_REASON_LEN};
use crate::config::{Config, MessageMode};
use crate::deflate::{Deflater, Inflater};
use crate::error::{Error, SendError};
use crate::event::{DataKind, Event};
use crate::frame::{FrameHeader, MAX_CONTROL_PAYLOAD, OpCode, decode_header, encode_header};
use crate::mask::{KeySource, apply_mask, extend_unmasked, extend_unmasked_bytes};
use crate::pool;
use crate::utf8::Utf8Validator;

/// Events processed ahead of `poll_event`; see [`Connection::paused`].
const EVENT_BATCH: usize = 32;

/// Payload bytes per queued event from which a batch goes on growing past
/// [`EVENT_BATCH`]: the event itself is then under a tenth of what it holds.
const LARGE_EVENT: usize = 512;

/// Messages up to this size share arena buffers instead of one allocation each.
const SMALL_MESSAGE: usize = 2048;

/// How much of a frame's announced but unreceived payload a message buffer makes room
/// for at once: a message that arrives over several reads then grows by one allocation
/// rather than by doubling and copying what it holds, while a peer that announces a large
/// frame and stalls makes us hold at most this much more than it sent.
const RESERVE_AHEAD: u64 = 256 * 1024;

/// Payloads from this size up, handed over as `Bytes` to a connection that neither masks
/// nor compresses, go out as they are, after their header, instead of being copied.
const PASS_THROUGH: usize = 4096;

/// The size of one small-message arena: a retained small message pins at most this much,
/// never the receive buffer.
const ARENA: usize = 32 * 1024;

/// One WebSocket connection after the opening handshake, in either role.
///
/// After every input (`recv`, `recv_owned`, `recv_eof`, `handle_timeout`) or command
/// (`send_*`, `close`), drain [`poll_event`](Self::poll_event), then
/// [`poll_transmit`](Self::poll_transmit), then read [`poll_timeout`](Self::poll_timeout).
/// The connection ends with one [`Event::ConnectionLost`]: a completed closing handshake
/// ([`Error::Closed`]) or a failure whose Close frame is already queued.
#[derive(Debug)]
pub struct Connection {
    config: Config,
    rx: BytesMut,
    events: VecDeque<Event>,
    /// Payload bytes held in `events`, counted against the buffering bound.
    event_bytes: usize,
    out: BytesMut,
    /// Output that precedes `out`: headers written so far and payloads passed through
    /// uncopied, in order.
    queued: VecDeque<Bytes>,
    /// Bytes in `queued`, counted against the buffering bound.
    queued_bytes: usize,
    /// Masking keys; only a client masks (§5.3).
    keys: Option<KeySource>,
    deflater: Option<Deflater>,
    inflater: Option<Inflater>,
    /// The data frame whose payload is being read.
    frame: Option<InFrame>,
    /// The data message being received.
    message: Option<InMessage>,
    /// The kind of the fragmented message being sent.
    sending: Option<DataKind>,
    scratch: Vec<u8>,
    /// Where small whole messages are copied; see [`Connection::small_message`].
    arena: BytesMut,
    close_sent: bool,
    close_deadline: Option<Instant>,
    /// When the peer was last heard from, for the keep-alive Ping.
    last_heard: Instant,
    /// When our keep-alive Ping must have been answered; `None` while none is out.
    answer_by: Option<Instant>,
    /// What will end the connection once the events found before it have been taken, so
    /// that the application can still answer them (echo a message, say) before the Close.
    ending: Option<Error>,
    error: Option<Error>,
}

#[derive(Debug)]
struct InFrame {
    header: FrameHeader,
    remaining: u64,
    /// Payload bytes already read, for the masking key's phase.
    offset: usize,
}

/// Where a piece of a data frame's payload sits in its frame and message.
#[derive(Clone, Copy, Debug)]
struct Piece {
    /// The frame's masking key, and the piece's offset into the frame for its phase.
    key: Option<[u8; 4]>,
    offset: usize,
    /// Payload bytes of the frame after this piece; 0 ends the frame.
    frame_left: u64,
    end_of_message: bool,
}

#[derive(Debug)]
struct InMessage {
    kind: DataKind,
    compressed: bool,
    /// Bytes of the message so far, after inflation.
    size: usize,
    /// The message so far in [`MessageMode::Whole`], the frame so far in
    /// [`MessageMode::Frames`].
    buf: Vec<u8>,
    utf8: Utf8Validator,
}

impl Connection {
    /// A connection whose opening handshake is done. `now` is the start of its life: the
    /// keep-alive interval ([`Config::ping_interval`]) counts from it.
    #[must_use]
    pub fn new(now: Instant, config: Config) -> Self {
        let role = config.role;
        Self {
            keys: (role == Role::Client).then(KeySource::new),
            deflater: config.deflate.as_ref().map(|p| Deflater::new(p, role)),
            inflater: config.deflate.as_ref().map(|p| Inflater::new(p, role)),
            config,
            rx: BytesMut::new(),
            events: VecDeque::new(),
            event_bytes: 0,
            out: BytesMut::new(),
            queued: VecDeque::new(),
            queued_bytes: 0,
            frame: None,
            message: None,
            sending: None,
            scratch: Vec::new(),
            arena: BytesMut::new(),
            close_sent: false,
            close_deadline: None,
            last_heard: now,
            answer_by: None,
            ending: None,
            error: None,
        }
    }

    /// The role it was built with.
    #[must_use]
    pub fn role(&self) -> Role {
        self.config.role
    }

    /// The configuration it was built with.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// What ended the connection, once it has ended.
    #[must_use]
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// Whether [`poll_transmit`](Self::poll_transmit) has bytes.
    #[must_use]
    pub fn wants_write(&self) -> bool {
        !self.out.is_empty() || !self.queued.is_empty()
    }

    /// Nothing more will happen: the connection has ended and its last bytes were taken.
    /// Drop the transport.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.error.is_some() && !self.wants_write()
    }

    /// Whether a Close frame has been sent or queued: no more data may be sent.
    #[must_use]
    pub fn is_closing(&self) -> bool {
        self.close_sent
    }

    // ----- input -----

    /// Bytes from the transport.
    pub fn recv(&mut self, now: Instant, data: &[u8]) {
        self.heard(now);
        if self.error.is_some() || self.ending.is_some() || self.buffer_full() {
            return;
        }
        if self.rx.is_empty() {
            // Nothing pending: read straight from the caller's bytes and keep only what
            // is left (a partial header or control frame, or input held back).
            let used = self.process_slice(data);
            if self.error.is_none() {
                self.rx.extend_from_slice(&data[used..]);
            }
        } else {
            self.rx.extend_from_slice(data);
            self.process();
        }
    }

    /// Bytes from the transport, adopting `data` as the receive buffer when nothing is
    /// pending.
    pub fn recv_owned(&mut self, now: Instant, data: BytesMut) {
        self.heard(now);
        if self.error.is_some() || self.ending.is_some() || self.buffer_full() {
            return;
        }
        if self.rx.is_empty() {
            self.rx = data;
        } else {
            self.rx.extend_from_slice(&data);
        }
        self.process();
    }

    /// The transport's end of input. Before the closing handshake this fails the
    /// connection with [`Error::UnexpectedEof`] (§7.1.5, code 1006).
    pub fn recv_eof(&mut self, now: Instant) {
        let _ = now;
        if self.error.is_none() && self.ending.is_none() {
            self.fail(Error::UnexpectedEof);
        }
    }

    /// The deadline from [`poll_timeout`](Self::poll_timeout) may have passed: after our
    /// Close, the peer has had [`Config::close_timeout`] to answer; before it, a silent
    /// peer is sent a keep-alive Ping, or given up on when it has not answered in
    /// [`Config::pong_timeout`]. Early calls do nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.error.is_some() || self.ending.is_some() {
            return;
        }
        if self.close_sent {
            if self.close_deadline.is_some_and(|d| d <= now) {
                self.fail(Error::CloseTimeout);
            }
        } else if self.answer_by.is_some_and(|d| d <= now) {
            self.fail(Error::PingTimeout);
        } else if self.answer_by.is_none()
            && self.ping_due().is_some_and(|d| d <= now)
            && self.send_control(OpCode::Ping, b"").is_ok()
        {
            self.answer_by = Some(now + self.config.pong_timeout);
        }
    }

    /// Input from the peer, of any kind, shows it is there (RFC 6455 §5.5.3).
    fn heard(&mut self, now: Instant) {
        self.last_heard = now;
        self.answer_by = None;
    }

    /// When the next keep-alive Ping is due, if they are on.
    fn ping_due(&self) -> Option<Instant> {
        Some(self.last_heard + self.config.ping_interval?)
    }

    // ----- output -----

    /// The next event. [`Event::ConnectionLost`] is the last.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        if self.events.is_empty() {
            if let Some(error) = self.ending.take() {
                self.fail(error);
            } else if !self.rx.is_empty() {
                // Input held back while the queues were full.
                self.process();
            }
        }
        let event = self.events.pop_front()?;
        self.event_bytes -= event_len(&event);
        Some(event)
    }

    /// The next bytes to write to the transport, in order.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        let bytes = if let Some(bytes) = self.queued.pop_front() {
            self.queued_bytes -= bytes.len();
            bytes
        } else if self.out.is_empty() {
            return None;
        } else {
            self.out.split().freeze()
        };
        if !self.rx.is_empty() {
            self.process();
        }
        Some(bytes)
    }

    /// When to call [`handle_timeout`](Self::handle_timeout): the closing deadline, while
    /// we wait for the peer's Close; before our Close, the keep-alive's next Ping or the
    /// deadline for its answer.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.error.is_some() || self.ending.is_some() {
            None
        } else if self.close_sent {
            self.close_deadline
        } else {
            self.answer_by.or_else(|| self.ping_due())
        }
    }

    // ----- commands -----

    /// Sends a whole text message.
    pub fn send_text(&mut self, text: &str) -> Result<(), SendError> {
        self.send_message(DataKind::Text, text.as_bytes())
    }

    /// Sends a whole binary message.
    pub fn send_binary(&mut self, data: &[u8]) -> Result<(), SendError> {
        self.send_message(DataKind::Binary, data)
    }

    /// Sends a whole binary message held as `Bytes`. A server without compression writes
    /// a large payload out as it is, after its header, with no copy (a client masks every
    /// payload, RFC 6455 §5.3, and deflate rewrites it, so those copy as
    /// [`send_binary`](Self::send_binary) does).
    pub fn send_binary_bytes(&mut self, data: Bytes) -> Result<(), SendError> {
        if self.keys.is_some() || self.deflater.is_some() || data.len() < PASS_THROUGH {
            return self.send_binary(&data);
        }
        if self.sending.is_some() {
            return Err(SendError::MessageInProgress);
        }
        self.check_open()?;
        let header = FrameHeader {
            fin: true,
            rsv1: false,
            rsv2: false,
            rsv3: false,
            opcode: OpCode::Binary,
            mask: None,
            payload_len: data.len() as u64,
        };
        encode_header(&header, &mut self.out);
        let head = self.out.split().freeze();
        self.queued_bytes += head.len() + data.len();
        self.queued.push_back(head);
        self.queued.push_back(data);
        Ok(())
    }

    fn send_message(&mut self, kind: DataKind, data: &[u8]) -> Result<(), SendError> {
        if self.sending.is_some() {
            return Err(SendError::MessageInProgress);
        }
        self.send_fragment(kind, data, true)
    }

    /// Sends one frame of a message that goes out in pieces (§5.4): the first call opens a
    /// message of `kind`, later calls continue it, and the call with `fin` ends it.
    /// Control frames may be sent in between. Text pieces may split a character; the
    /// whole message must be UTF-8.
    pub fn send_fragment(
        &mut self,
        kind: DataKind,
        data: &[u8],
        fin: bool,
    ) -> Result<(), SendError> {
        self.check_open()?;
        let opcode = match self.sending {
            None => match kind {
                DataKind::Text => OpCode::Text,
                DataKind::Binary => OpCode::Binary,
            },
            Some(k) if k == kind => OpCode::Continuation,
            Some(_) => return Err(SendError::MessageInProgress),
        };
        self.sending = if fin { None } else { Some(kind) };
        if let Some(deflater) = &mut self.deflater {
            let mut scratch = std::mem::take(&mut self.scratch);
            scratch.clear();
            deflater.compress(data, fin, &mut scratch);
            // RFC 7692 §6.1: RSV1 marks the first frame of a compressed message only.
            self.queue_frame(opcode, opcode != OpCode::Continuation, fin, &scratch);
            self.scratch = scratch;
        } else {
            self.queue_frame(opcode, false, fin, data);
        }
        Ok(())
    }

    /// Sends a Ping (§5.5.2) with at most 125 bytes of payload.
    pub fn send_ping(&mut self, payload: &[u8]) -> Result<(), SendError> {
        self.send_control(OpCode::Ping, payload)
    }

    /// Sends an unsolicited Pong (§5.5.3), a one-way heartbeat.
    pub fn send_pong(&mut self, payload: &[u8]) -> Result<(), SendError> {
        self.send_control(OpCode::Pong, payload)
    }

    fn send_control(&mut self, opcode: OpCode, payload: &[u8]) -> Result<(), SendError> {
        self.check_open()?;
        if payload.len() > MAX_CONTROL_PAYLOAD {
            return Err(SendError::ControlTooLong);
        }
        self.queue_frame(opcode, false, true, payload);
        Ok(())
    }

    /// Starts the closing handshake (§7.1.2): queues a Close with `code` and `reason`
    /// (at most 123 bytes), after which nothing more may be sent. The peer has
    /// [`Config::close_timeout`] from `now` to answer. [`CloseCode::NO_STATUS`] sends a
    /// Close without a body, and then the reason must be empty.
    ///
    /// With [`Config::auto_close`] off, this is also how the application answers the end of
    /// the connection (the peer's Close or a failure), once.
    pub fn close(&mut self, now: Instant, code: CloseCode, reason: &str) -> Result<(), SendError> {
        let answering = self.error.is_some() && !self.config.auto_close;
        if !answering {
            self.check_open()?;
        } else if self.close_sent {
            return Err(SendError::Closed);
        }
        let bodiless = code == CloseCode::NO_STATUS && reason.is_empty();
        if !(code.is_sendable() || bodiless) {
            return Err(SendError::InvalidCloseCode(code.0));
        }
        if reason.len() > MAX_REASON_LEN {
            return Err(SendError::ControlTooLong);
        }
        self.queue_close(code, reason);
        self.close_deadline = Some(now + self.config.close_timeout);
        Ok(())
    }

    fn check_open(&self) -> Result<(), SendError> {
        if self.close_sent || self.error.is_some() {
            Err(SendError::Closed)
        } else {
            Ok(())
        }
    }

    fn queue_close(&mut self, code: CloseCode, reason: &str) {
        self.queue_frame(
            OpCode::Close,
            false,
            true,
            &CloseFrame::payload(code, reason),
        );
        self.close_sent = true;
    }

    fn queue_frame(&mut self, opcode: OpCode, rsv1: bool, fin: bool, payload: &[u8]) {
        let mask = self.keys.as_mut().map(KeySource::mask_key);
        let header = FrameHeader {
            fin,
            rsv1,
            rsv2: false,
            rsv3: false,
            opcode,
            mask,
            payload_len: payload.len() as u64,
        };
        self.out.reserve(header.encoded_len() + payload.len());
        encode_header(&header, &mut self.out);
        let start = self.out.len();
        self.out.extend_from_slice(payload);
        if let Some(key) = mask {
            apply_mask(&mut self.out[start..], key, 0);
        }
    }

    // ----- the receive path -----

    fn push_event(&mut self, event: Event) {
        self.event_bytes += event_len(&event);
        self.events.push_back(event);
    }

    /// Ends the connection with `error`: the Close frame for its code (if one may be sent
    /// and none was), then [`Event::ConnectionLost`]. Input after this is ignored.
    fn fail(&mut self, error: Error) {
        let code = error.close_code();
        // §5.5.1: the peer's Close is answered with a Close echoing its code (none if it
        // had none); a failure sends its own code when that may go on the wire.
        let answer = matches!(error, Error::Closed(_)) || code.is_sendable();
        if !self.close_sent && answer && self.config.auto_close {
            self.queue_close(code, "");
        }
        self.end(error);
    }

    fn end(&mut self, error: Error) {
        self.rx = BytesMut::new();
        self.message = None;
        self.frame = None;
        self.push_event(Event::ConnectionLost(error.clone()));
        self.error = Some(error);
    }

    /// Input waits while the queues are full, or while a batch of small events is
    /// waiting: a read of many tiny messages is then handed out a batch at a time, each
    /// event still in cache when it is polled, and the queue's own memory stays a small
    /// part of the payload it holds. Events of [`LARGE_EVENT`] bytes on average do not
    /// pause it, since what waits is copied out of the caller's read into the receive
    /// buffer: for kilobyte messages that copy was a fifth of the time, more than the
    /// queue itself costs.
    fn paused(&self) -> bool {
        (self.events.len() >= EVENT_BATCH && self.event_bytes < self.events.len() * LARGE_EVENT)
            || self.event_bytes + self.queued_bytes + self.out.len()
                >= self.config.limits.max_buffered_bytes
    }

    fn process(&mut self) {
        // The buffer is taken out for the loop so it can be read while `self` changes.
        let mut rx = std::mem::take(&mut self.rx);
        let used = self.process_slice(&rx);
        if self.error.is_none() {
            rx.advance(used);
            self.rx = rx;
        }
    }

    /// Handles frames from `input` until it runs out, the queues are full or the
    /// connection ends; returns the bytes used.
    fn process_slice(&mut self, input: &[u8]) -> usize {
        let mut used = 0;
        while self.error.is_none() && self.ending.is_none() && !self.paused() {
            match self.step(&input[used..]) {
                Ok(Some(n)) => used += n,
                Ok(None) => break,
                Err(e) => self.ending = Some(e),
            }
        }
        if self.events.is_empty()
            && let Some(error) = self.ending.take()
        {
            self.fail(error);
        }
        used
    }

    /// Checked before each `recv` appends, so the receive buffer never holds more than the
    /// bound plus one read: input left unprocessed from earlier reads (the queues were
    /// full and the driver kept reading without draining them) past the bound fails the
    /// connection.
    fn buffer_full(&mut self) -> bool {
        if self.rx.len() <= self.config.limits.max_buffered_bytes {
            return false;
        }
        self.fail(Error::BufferFull);
        true
    }

    /// Handles one header, control frame or piece of payload; `false` when more input is
    /// needed.
    /// Handles one header, control frame or piece of payload at the start of `input`;
    /// returns the bytes used, or `None` when more input is needed.
    fn step(&mut self, input: &[u8]) -> Result<Option<usize>, Error> {
        let Some(frame) = &mut self.frame else {
            if let Some(used) = self.small_message(input)? {
                return Ok(Some(used));
            }
            let Some((header, header_len)) = decode_header(input)? else {
                return Ok(None);
            };
            self.check_header(&header)?;
            if header.opcode.is_control() {
                // At most 125 bytes (checked by the decoder): wait for all of it.
                let total = header_len + header.payload_len as usize;
                let Some(payload) = input.get(header_len..total) else {
                    return Ok(None);
                };
                // A copy: the application may keep it, and it must not pin the buffer.
                let mut owned = Vec::with_capacity(payload.len());
                extend_unmasked(&mut owned, payload, header.mask, 0);
                self.on_control(header.opcode, owned.into())?;
                return Ok(Some(total));
            }
            self.start_data_frame(header);
            if header.payload_len == 0 {
                self.frame = None;
                let piece = Piece {
                    key: None,
                    offset: 0,
                    frame_left: 0,
                    end_of_message: header.fin,
                };
                self.on_data(&[], piece)?;
            }
            return Ok(Some(header_len));
        };
        let n = usize::try_from(frame.remaining)
            .unwrap_or(usize::MAX)
            .min(input.len());
        if n == 0 {
            return Ok(None);
        }
        let (key, offset) = (frame.header.mask, frame.offset);
        frame.offset += n;
        frame.remaining -= n as u64;
        let frame_left = frame.remaining;
        let end_of_frame = frame_left == 0;
        let end_of_message = end_of_frame && frame.header.fin;
        if end_of_frame {
            self.frame = None;
        }
        let piece = Piece {
            key,
            offset,
            frame_left,
            end_of_message,
        };
        self.on_data(&input[..n], piece)?;
        Ok(Some(n))
    }

    /// The commonest frame of all, read straight from its bytes: a whole text or binary
    /// message of at most [`SMALL_MESSAGE`] bytes, masked as the role expects, with no
    /// extension bits and no message in progress, all of it in `input`. It is copied and
    /// unmasked into the shared small-message arena, with no message state. Returns the
    /// bytes used, or `None` for any other frame, which the general path
    /// ([`decode_header`], then [`check_header`](Self::check_header)) takes; a frame this
    /// refuses to read is one that path reads into a message of its own or refuses.
    fn small_message(&mut self, input: &[u8]) -> Result<Option<usize>, Error> {
        let [b0, b1, ..] = *input else {
            return Ok(None);
        };
        // FIN, no RSV bits (§5.2), and a data opcode.
        let kind = match b0 {
            0x81 => DataKind::Text,
            0x82 => DataKind::Binary,
            _ => return Ok(None),
        };
        // §5.2: a 7-bit length, or a 16-bit one that needs its 16 bits (anything else is
        // too large here or refused by `decode_header`).
        let (len, at) = match b1 & 0x7F {
            126 => match input.get(2..4) {
                Some(&[hi, lo]) => (usize::from(u16::from_be_bytes([hi, lo])), 4),
                _ => return Ok(None),
            },
            127 => return Ok(None),
            n => (usize::from(n), 2),
        };
        // §5.1: only a client masks.
        let masked = self.config.role == Role::Server;
        let limits = &self.config.limits;
        let plain = (b1 & 0x80 != 0) == masked
            && (at == 2 || len >= 126)
            && len <= SMALL_MESSAGE
            && self.message.is_none()
            && self.config.mode != MessageMode::Streaming
            && len <= limits.max_frame_size
            && len <= limits.max_message_size;
        if !plain {
            return Ok(None);
        }
        let (key, header_len) = if masked {
            match input
                .get(at..at + 4)
                .and_then(|k| <[u8; 4]>::try_from(k).ok())
            {
                Some(key) => (Some(key), at + 4),
                None => return Ok(None),
            }
        } else {
            (None, at)
        };
        let Some(payload) = input.get(header_len..header_len + len) else {
            return Ok(None);
        };
        if self.arena.capacity() < len {
            self.arena = BytesMut::with_capacity(ARENA);
        }
        let text = kind == DataKind::Text;
        let ascii = extend_unmasked_bytes(&mut self.arena, payload, key, text);
        let data = self.arena.split().freeze();
        if text && !ascii && std::str::from_utf8(&data).is_err() {
            return Err(Error::InvalidUtf8);
        }
        self.push_event(match kind {
            DataKind::Text => Event::Text(data),
            DataKind::Binary => Event::Binary(data),
        });
        Ok(Some(header_len + len))
    }

    /// The rules that depend on the role, the extensions and the message in progress.
    fn check_header(&self, h: &FrameHeader) -> Result<(), Error> {
        // §5.1: a server closes on an unmasked frame, a client on a masked one.
        let masked_as_expected = match self.config.role {
            Role::Server => h.mask.is_some(),
            Role::Client => h.mask.is_none(),
        };
        if !masked_as_expected {
            return Err(Error::Masking);
        }
        // §5.2: no extension of ours defines RSV2 or RSV3. RFC 7692 §6.1: RSV1 only on the
        // first frame of a data message, and only with permessage-deflate.
        let rsv1_allowed =
            self.inflater.is_some() && matches!(h.opcode, OpCode::Text | OpCode::Binary);
        if h.rsv2 || h.rsv3 || (h.rsv1 && !rsv1_allowed) {
            return Err(Error::ReservedBits);
        }
        if h.opcode.is_control() {
            return Ok(());
        }
        // §5.4: continuations continue something; a new message waits for the last to end.
        if (h.opcode == OpCode::Continuation) != self.message.is_some() {
            return Err(Error::Fragmentation);
        }
        let limits = &self.config.limits;
        if h.payload_len > limits.max_frame_size as u64 {
            return Err(Error::FrameTooBig);
        }
        let compressed = if h.opcode == OpCode::Continuation {
            self.message.as_ref().is_some_and(|m| m.compressed)
        } else {
            h.rsv1
        };
        // Uncompressed data counts against the message limit before it is read;
        // compressed data is counted as it inflates.
        let so_far = self.message.as_ref().map_or(0, |m| m.size) as u64;
        if !compressed && so_far + h.payload_len > limits.max_message_size as u64 {
            return Err(Error::MessageTooBig);
        }
        Ok(())
    }

    fn start_data_frame(&mut self, header: FrameHeader) {
        let kind = match header.opcode {
            OpCode::Text => Some(DataKind::Text),
            OpCode::Binary => Some(DataKind::Binary),
            _ => None,
        };
        if let Some(kind) = kind {
            let buffered = self.config.mode != MessageMode::Streaming;
            let expected = usize::try_from(header.payload_len).unwrap_or(usize::MAX);
            self.message = Some(InMessage {
                kind,
                compressed: header.rsv1,
                size: 0,
                // A large message reuses the buffer of one already handed out and
                // dropped, whose pages are mapped and warm.
                buf: if buffered {
                    pool::take(self.config.buffer_pool.as_ref(), expected)
                } else {
                    Vec::new()
                },
                utf8: Utf8Validator::default(),
            });
        }
        self.frame = Some(InFrame {
            header,
            remaining: header.payload_len,
            offset: 0,
        });
    }

    /// Takes a piece of a data frame's payload, still masked.
    fn on_data(&mut self, masked: &[u8], piece_of: Piece) -> Result<(), Error> {
        let Piece {
            key,
            offset,
            frame_left,
            end_of_message,
        } = piece_of;
        let end_of_frame = frame_left == 0;
        // Disjoint borrows: the message is worked on in place, not moved out and back.
        let Self {
            message,
            inflater,
            scratch,
            events,
            event_bytes,
            config,
            ..
        } = self;
        let msg = message.as_mut().ok_or(Error::Fragmentation)?;
        let buffered = config.mode != MessageMode::Streaming;
        let mut piece = Vec::new();
        // The limit bounds `out`: the buffer holds this message's bytes since the last
        // piece handed out (all of them in Whole mode, this frame's in Frames mode).
        let (out, limit) = if buffered {
            let earlier = msg.size - msg.buf.len();
            (&mut msg.buf, config.limits.max_message_size - earlier)
        } else {
            (&mut piece, config.limits.max_message_size - msg.size)
        };
        let before = out.len();
        let inflated = if msg.compressed {
            let inflater = inflater.as_mut().ok_or(Error::ReservedBits)?;
            scratch.clear();
            extend_unmasked(scratch, masked, key, offset);
            inflater.inflate(scratch, out, limit).and_then(|()| {
                if end_of_message {
                    inflater.finish(out, limit)
                } else {
                    Ok(())
                }
            })
        } else {
            if buffered {
                let ahead = usize::try_from(frame_left.min(RESERVE_AHEAD)).unwrap_or(0);
                out.reserve(masked.len() + ahead);
            }
            extend_unmasked(out, masked, key, offset);
            Ok(())
        };
        // What inflated before a failure is checked first, so the fault reported is the
        // first in the message, wherever the reads happened to end.
        if msg.kind == DataKind::Text {
            msg.utf8
                .feed(&out[before..])
                .map_err(|_| Error::InvalidUtf8)?;
        }
        inflated?;
        if msg.kind == DataKind::Text && end_of_message {
            msg.utf8.finish().map_err(|_| Error::InvalidUtf8)?;
        }
        msg.size += out.len() - before;
        let kind = msg.kind;
        if config.mode == MessageMode::Frames && end_of_frame {
            let data = pool::into_bytes(config.buffer_pool.as_ref(), std::mem::take(&mut msg.buf));
            *event_bytes += data.len();
            events.push_back(Event::Fragment {
                kind,
                data,
                fin: end_of_message,
            });
        } else if !buffered && (!piece.is_empty() || end_of_message) {
            *event_bytes += piece.len();
            events.push_back(Event::Fragment {
                kind,
                data: Bytes::from(piece),
                fin: end_of_message,
            });
        } else if config.mode == MessageMode::Whole && end_of_message {
            let data = pool::into_bytes(config.buffer_pool.as_ref(), std::mem::take(&mut msg.buf));
            *event_bytes += data.len();
            events.push_back(match kind {
                DataKind::Text => Event::Text(data),
                DataKind::Binary => Event::Binary(data),
            });
        }
        if end_of_message {
            *message = None;
        }
        Ok(())
    }

    fn on_control(&mut self, opcode: OpCode, payload: Bytes) -> Result<(), Error> {
        match opcode {
            OpCode::Ping => {
                // §5.5.1: nothing, not even a Pong, follows our Close.
                if self.config.auto_pong && !self.close_sent {
                    self.queue_frame(OpCode::Pong, false, true, &payload);
                }
                self.push_event(Event::Ping(payload));
            }
            OpCode::Pong => self.push_event(Event::Pong(payload)),
            OpCode::Close => {
                // Ends the connection like a failure, once the events before it are
                // taken; `fail` sends the answering Close.
                return Err(Error::Closed(CloseFrame::parse(&payload)?));
            }
            OpCode::Continuation | OpCode::Text | OpCode::Binary => {
                return Err(Error::Fragmentation);
            }
        }
        Ok(())
    }
}

/// The payload bytes an event holds, for the buffering bound.
fn event_len(event: &Event) -> usize {
    match event {
        Event::Text(b) | Event::Binary(b) | Event::Ping(b) | Event::Pong(b) => b.len(),
        Event::Fragment { data, .. } => data.len(),
        Event::ConnectionLost(_) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Limits;

    /// `payload` in a masked frame, as a client sends it.
    fn client_frame(wire: &mut Vec<u8>, opcode: OpCode, payload: &[u8], key: [u8; 4]) {
        let header = FrameHeader {
            fin: true,
            rsv1: false,
            rsv2: false,
            rsv3: false,
            opcode,
            mask: Some(key),
            payload_len: payload.len() as u64,
        };
        encode_header(&header, wire);
        let start = wire.len();
        wire.extend_from_slice(payload);
        apply_mask(&mut wire[start..], key, 0);
    }

    /// `count` binary messages of `size` bytes, message `i` all bytes `i`.
    fn client_frames(size: usize, count: usize) -> Vec<u8> {
        let mut wire = Vec::new();
        for i in 0..count {
            client_frame(
                &mut wire,
                OpCode::Binary,
                &vec![i as u8; size],
                [i as u8, 0x5a, 0xc3, 0x17],
            );
        }
        wire
    }

    /// The origin of the virtual clock: the tests only ever add durations to it.
    #[allow(clippy::disallowed_methods)]
    fn epoch() -> Instant {
        Instant::now()
    }

    fn drain(conn: &mut Connection, size: usize, count: usize) {
        for i in 0..count {
            match conn.poll_event() {
                Some(Event::Binary(data)) => assert_eq!(data, vec![i as u8; size]),
                other => panic!("message {i}: {other:?}"),
            }
        }
        assert_eq!(conn.poll_event(), None);
    }

    #[test]
    fn a_read_of_tiny_messages_is_queued_a_batch_at_a_time() {
        let now = epoch();
        let mut conn = Connection::new(now, Config::server());
        conn.recv(now, &client_frames(16, 100));
        assert_eq!(conn.events.len(), EVENT_BATCH);
        assert!(!conn.rx.is_empty());
        drain(&mut conn, 16, 100);
    }

    #[test]
    fn a_read_of_kilobyte_messages_is_handled_without_keeping_a_copy() {
        let now = epoch();
        let mut conn = Connection::new(now, Config::server());
        conn.recv(now, &client_frames(1024, 100));
        assert_eq!(conn.events.len(), 100);
        assert!(conn.rx.is_empty(), "nothing copied into the receive buffer");
        drain(&mut conn, 1024, 100);
    }

    #[test]
    fn small_text_is_checked_whether_or_not_it_is_ascii() {
        let now = epoch();
        let key = [0x37, 0xfa, 0x21, 0x3d];
        // Past the short copy, so that the ASCII seen while unmasking decides.
        let ascii = "a".repeat(200);
        let accented = "é".repeat(100);
        let mut conn = Connection::new(now, Config::server());
        let mut wire = Vec::new();
        client_frame(&mut wire, OpCode::Text, ascii.as_bytes(), key);
        client_frame(&mut wire, OpCode::Text, accented.as_bytes(), key);
        conn.recv(now, &wire);
        assert_eq!(conn.poll_event(), Some(Event::Text(ascii.clone().into())));
        assert_eq!(conn.poll_event(), Some(Event::Text(accented.into())));

        for at in [0, 7, 8, 100, 199] {
            let mut bad = ascii.clone().into_bytes();
            bad[at] = 0xff;
            let mut conn = Connection::new(now, Config::server());
            let mut wire = Vec::new();
            client_frame(&mut wire, OpCode::Text, &bad, key);
            conn.recv(now, &wire);
            assert_eq!(
                conn.poll_event(),
                Some(Event::ConnectionLost(Error::InvalidUtf8)),
                "invalid byte at {at}"
            );
        }
    }

    /// A frame header's first two bytes, then what follows them, as written.
    fn raw(b0: u8, b1: u8, rest: &[u8]) -> Vec<u8> {
        let mut wire = vec![b0, b1];
        wire.extend_from_slice(rest);
        wire
    }

    /// Events for `wire` received whole, and received a byte at a time (where the small
    /// message path never sees a whole frame and the general one reads every frame).
    fn whole_and_bytewise(config: &Config, wire: &[u8]) -> (Vec<Event>, Vec<Event>) {
        let now = epoch();
        let drain = |conn: &mut Connection, out: &mut Vec<Event>| {
            while let Some(event) = conn.poll_event() {
                out.push(event);
            }
        };
        let (mut whole, mut bytewise) = (Vec::new(), Vec::new());
        let mut conn = Connection::new(now, config.clone());
        conn.recv(now, wire);
        drain(&mut conn, &mut whole);
        let mut conn = Connection::new(now, config.clone());
        for byte in wire {
            conn.recv(now, std::slice::from_ref(byte));
            drain(&mut conn, &mut bytewise);
        }
        (whole, bytewise)
    }

    /// Streamed pieces of a message as one piece, whatever the reads made of them.
    fn joined(events: Vec<Event>) -> Vec<Event> {
        let mut out: Vec<Event> = Vec::new();
        for event in events {
            if let (
                Some(Event::Fragment {
                    data: so_far,
                    fin: false,
                    ..
                }),
                Event::Fragment { data, fin, .. },
            ) = (out.last_mut(), &event)
            {
                let mut whole = so_far.to_vec();
                whole.extend_from_slice(data);
                *so_far = whole.into();
                if *fin && let Some(Event::Fragment { fin: last, .. }) = out.last_mut() {
                    *last = true;
                }
                continue;
            }
            out.push(event);
        }
        out
    }

    #[test]
    fn the_small_message_path_reads_frames_as_the_general_one_does() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        // Any first byte, a 7- or 16-bit length, masked.
        let masked = |b0: u8, payload: &[u8]| {
            let mut wire = vec![b0];
            match u8::try_from(payload.len()) {
                Ok(n) if n < 126 => wire.push(0x80 | n),
                _ => {
                    wire.push(0x80 | 126);
                    wire.extend_from_slice(&(payload.len() as u16).to_be_bytes());
                }
            }
            wire.extend_from_slice(&key);
            let start = wire.len();
            wire.extend_from_slice(payload);
            apply_mask(&mut wire[start..], key, 0);
            wire
        };
        let text_start = masked(0x01, b"first ");
        let mut frames: Vec<(Config, Vec<u8>)> = Vec::new();
        let server = Config::server();
        for len in [0, 1, 125, 126, 127, 1000, SMALL_MESSAGE, SMALL_MESSAGE + 1] {
            for b0 in [0x81, 0x82, 0x02, 0xC2, 0xA2, 0x92, 0x80, 0x83, 0x89] {
                frames.push((server.clone(), masked(b0, &vec![b'x'; len])));
            }
        }
        // A 16-bit length that fits 7 bits, which §5.2 refuses.
        let mut short_in_long = raw(0x82, 0x80 | 126, &[0, 5]);
        short_in_long.extend_from_slice(&key);
        short_in_long.extend_from_slice(b"hello");
        frames.push((server.clone(), short_in_long));
        // A 64-bit length, and unmasked frames, which a server refuses (§5.1).
        frames.push((server.clone(), raw(0x82, 0x80 | 127, &[0; 12])));
        frames.push((server.clone(), raw(0x82, 5, b"hello")));
        // A new message while one is in progress (§5.4).
        frames.push((
            server.clone(),
            [text_start, masked(0x81, b"again")].concat(),
        ));
        // Invalid UTF-8, and the limits.
        frames.push((server.clone(), masked(0x81, &[b'a', 0xff, b'b'])));
        for (max_frame_size, max_message_size) in [(10, 100), (100, 10)] {
            let limits = Limits {
                max_frame_size,
                max_message_size,
                ..Limits::default()
            };
            let config = Config {
                limits,
                ..Config::server()
            };
            frames.push((config, masked(0x82, &[7; 50])));
        }
        // A client refuses masked frames and reads unmasked ones.
        frames.push((Config::client(), raw(0x82, 5, b"hello")));
        frames.push((Config::client(), masked(0x82, b"hello")));
        frames.push((Config::client(), raw(0x81, 126, &[0, 200])));
        // Streaming mode hands out fragments, whatever the size.
        let streaming = Config {
            mode: MessageMode::Streaming,
            ..Config::server()
        };
        frames.push((streaming, masked(0x82, b"hello")));

        for (config, wire) in &frames {
            let (whole, bytewise) = whole_and_bytewise(config, wire);
            assert_eq!(
                joined(whole),
                joined(bytewise),
                "{:?} {:02x?}",
                config.role,
                &wire[..2]
            );
        }
    }
}
