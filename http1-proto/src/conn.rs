//! [`Connection`]: one HTTP/1.1 connection, either role, in h11's model.

use std::time::Instant;

use bytes::{Buf, Bytes, BytesMut};

use crate::Role;
use crate::body::{BodyDecoder, BodyEncoder, BodyEvent, Outbox, fields_to_map, span_bytes};
use crate::config::Config;
use crate::error::{RecvError, SendError};
use crate::event::Event;
use crate::framing::{BodyLength, HeadFacts, TransferEncoding, head_facts};
use crate::head::{RequestFraming, RequestHead, ResponseHead, Version};
use crate::headers::HeaderMap;
use crate::parse::{self, Field, Status};
use crate::scan;
use crate::state::{InvalidTransition, Machine, State, Switch, Transition};
use crate::timer::{Expiry, Timers};
use crate::write;

/// The most capacity [`Connection::restart`] keeps of each buffer, in bytes: what an
/// ordinary request and response head need, so restarting usually allocates nothing.
const RESTART_KEEPS: usize = 4096;

/// One HTTP/1.1 connection as a sans-IO state machine (RFC 9112).
///
/// The driver owns the socket and loops, as every weft protocol crate is driven:
/// 1. hand received bytes to [`recv`](Self::recv) / [`recv_owned`](Self::recv_owned),
///    report the end of input with [`recv_eof`](Self::recv_eof), and call
///    [`handle_timeout`](Self::handle_timeout) when the deadline from
///    [`poll_timeout`](Self::poll_timeout) has passed;
/// 2. call [`poll_event`](Self::poll_event) until it returns `None`, acting on each
///    event (and calling `send_*` as it decides);
/// 3. write out everything [`poll_transmit`](Self::poll_transmit) returns until `None`;
/// 4. when both sides are [`State::Done`], call [`start_next_cycle`](Self::start_next_cycle)
///    to reuse the connection (and go back to 2: pipelined requests may already be
///    buffered), or close it if [`keep_alive`](Self::keep_alive) is false;
/// 5. sleep until the input or [`poll_timeout`](Self::poll_timeout).
///
/// ```text
///  client: Idle --Request--> SendBody --Data*--> SendBody --EndOfMessage--> Done
///  server: Idle --(request)--> SendResponse --Informational*--> SendResponse
///          --Response--> SendBody --Data*--> SendBody --EndOfMessage--> Done
///  Done + keep-alive off -> MustClose;  Done,Done --start_next_cycle--> Idle,Idle
///  Upgrade + 101 / CONNECT + 2xx -> SwitchedProtocol (take the bytes with into_parts)
/// ```
///
/// Whatever the peer (or the clock) does wrong ends the connection through one channel:
/// the terminal [`Event::ConnectionLost`], reported once, after which
/// [`error`](Self::error) returns the same [`RecvError`]. A server can still answer it
/// (with [`RecvError::status_hint`]) before closing.
///
/// `poll_event` returns `None` when it needs more bytes and also while it is paused:
/// the peer's message is done and further bytes (a pipelined request) wait untouched
/// until the next cycle, or the protocol switched. [`is_paused`](Self::is_paused) tells
/// these apart; a driver should stop reading from the socket while paused: what it
/// hands to `recv` meanwhile is buffered up to
/// [`Limits::max_buffered_bytes`](crate::Limits), and beyond that the connection fails.
///
/// ```
/// # use std::time::Instant;
/// use weft_http1::{Config, Connection, Event, ResponseHead};
///
/// let now = Instant::now();
/// let mut conn = Connection::new(now, Config::server());
/// conn.recv(now, b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
/// let Some(Event::Request(request)) = conn.poll_event() else { panic!() };
/// assert_eq!(request.target, "/");
/// assert!(matches!(conn.poll_event(), Some(Event::EndOfMessage { .. })));
///
/// conn.send_response(&ResponseHead::new(200).with_header("Content-Length", "2"))?;
/// conn.send_data("hi".into())?;
/// conn.send_end(None)?;
/// let mut wire = Vec::new();
/// while let Some(bytes) = conn.poll_transmit() {
///     wire.extend_from_slice(&bytes);
/// }
/// assert_eq!(wire, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
/// conn.start_next_cycle(now)?;
/// // Now idle: the keep-alive timer runs.
/// assert_eq!(conn.poll_timeout(), Some(now + conn.config().timeouts.keep_alive.unwrap()));
/// # Ok::<(), weft_http1::SendError>(())
/// ```
#[derive(Debug)]
pub struct Connection {
    role: Role,
    config: Config,
    machine: Machine,
    read_buf: BytesMut,
    /// Where `read_buf` lives, so body chunks never pin it (see `read_body`).
    read_alloc: http_core::ReadAllocation,
    eof: bool,
    /// Where the search for the end of a partly received head resumes; `None` until the
    /// first parse attempt of this head, which parses directly (the common case: the
    /// whole head in one read).
    head_scan_from: Option<usize>,
    decoder: Option<BodyDecoder>,
    encoder: Option<BodyEncoder>,
    outbox: Outbox,
    fields: Vec<Field>,
    error: Option<RecvError>,
    /// Whether [`Event::ConnectionLost`] was handed out.
    error_reported: bool,
    closed_reported: bool,
    timers: Timers,
    /// The request of this cycle: received (server) or sent (client).
    request_is_head: bool,
    request_is_connect: bool,
    /// The version the peer spoke in its last head (HTTP/1.1 until we know).
    peer_version: Version,
    waiting_for_continue: bool,
}

impl Connection {
    /// A connection playing `config.role`, created at `now` (a server's first request
    /// head is due within [`Timeouts::head`](crate::Timeouts) of it).
    pub fn new(now: Instant, config: Config) -> Self {
        Self {
            role: config.role,
            timers: Timers::new(now, config.role),
            config,
            machine: Machine::new(),
            read_buf: BytesMut::new(),
            read_alloc: http_core::ReadAllocation::default(),
            eof: false,
            head_scan_from: None,
            decoder: None,
            encoder: None,
            outbox: Outbox::default(),
            fields: Vec::new(),
            error: None,
            error_reported: false,
            closed_reported: false,
            request_is_head: false,
            request_is_connect: false,
            peer_version: Version::Http11,
            waiting_for_continue: false,
        }
    }

    // ---- A. getters -------------------------------------------------------------------

    /// Our role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Our side's state.
    pub fn our_state(&self) -> State {
        self.machine.state(self.role)
    }

    /// The peer's side's state.
    pub fn their_state(&self) -> State {
        self.machine.state(self.role.peer())
    }

    /// Whether the connection can be reused after this exchange (RFC 9112 §9.3). Turns
    /// false for good on `Connection: close` from either side, on HTTP/1.0 without
    /// `keep-alive`, close-delimited bodies and errors.
    pub fn keep_alive(&self) -> bool {
        self.machine.keep_alive()
    }

    /// Whether `poll_event` is holding back buffered bytes: the peer's message is done
    /// and the next one waits for [`start_next_cycle`](Self::start_next_cycle), or the
    /// connection has switched (or may switch) protocols.
    pub fn is_paused(&self) -> bool {
        match self.their_state() {
            State::Done | State::MustClose => !self.read_buf.is_empty(),
            State::MightSwitchProtocol | State::SwitchedProtocol => true,
            _ => false,
        }
    }

    /// Whether `poll_transmit` has bytes to hand out.
    #[must_use]
    pub fn wants_write(&self) -> bool {
        !self.outbox.is_empty()
    }

    /// The error that ended the connection, from the moment it happened (as
    /// [`Event::ConnectionLost`] reports it, once). Sticky: input after it is ignored.
    pub fn error(&self) -> Option<&RecvError> {
        self.error.as_ref()
    }

    /// Whether nothing more will happen on this connection: the peer closed or failed
    /// (and it was reported) and we owe no message in progress (a response to a request
    /// that arrived whole is still owed), or both sides are finished. Drop the transport
    /// after the last [`poll_transmit`](Self::poll_transmit).
    #[must_use]
    pub fn is_closed(&self) -> bool {
        let over = |state| {
            matches!(
                state,
                State::MustClose | State::Closed | State::Error | State::SwitchedProtocol
            )
        };
        let peer_gone = self.error_reported || self.closed_reported;
        let responding = matches!(self.our_state(), State::SendResponse | State::SendBody);
        (peer_gone && !responding) || (over(self.our_state()) && over(self.their_state()))
    }

    /// Server role: the client sent `Expect: 100-continue` (HTTP/1.1) and has neither seen
    /// a response from us nor started its body, so it may be waiting (RFC 9110 §10.1.1).
    /// Answer with [`send_continue`](Self::send_continue) before reading the body, or send
    /// a final response instead (then the connection will close after it, since the
    /// client may never send the body). Client role: we sent the expectation and have not
    /// had an answer or sent body bytes yet.
    pub fn client_is_waiting_for_100_continue(&self) -> bool {
        self.waiting_for_continue
    }

    /// Starts over as [`Connection::new`]`(now, config)` would, discarding whatever was
    /// received or queued, but keeps the capacity of the receive buffer, the field-line
    /// scratch and the write buffer (each only up to 4 KiB of capacity, so a reused
    /// connection does not carry the largest message it ever saw).
    ///
    /// Between two exchanges of a persistent connection (RFC 9112 §9.3: both sides
    /// [`State::Idle`] after [`start_next_cycle`](Self::start_next_cycle), nothing
    /// received yet) HTTP/1.1 has no state to carry. A server with many keep-alive
    /// connections waiting can therefore drop each one's `Connection` while it waits,
    /// keep a few in a pool, and restart a pooled one when the next request's bytes
    /// arrive, at no allocation; the keep-alive deadline it had is the driver's to
    /// remember ([`poll_timeout`](Self::poll_timeout) before letting go).
    pub fn restart(&mut self, now: Instant, config: Config) {
        let mut read_buf = std::mem::take(&mut self.read_buf);
        let mut fields = std::mem::take(&mut self.fields);
        let mut outbox = std::mem::take(&mut self.outbox);
        *self = Self::new(now, config);
        if read_buf.capacity() <= RESTART_KEEPS {
            read_buf.clear();
            self.read_buf = read_buf;
        }
        if fields
            .capacity()
            .saturating_mul(std::mem::size_of::<Field>())
            <= RESTART_KEEPS
        {
            fields.clear();
            self.fields = fields;
        }
        if outbox.clear_within(RESTART_KEEPS) {
            self.outbox = outbox;
        }
    }

    /// Received bytes not consumed yet, and whether the peer closed: after a protocol
    /// switch these belong to the new protocol (h11 `trailing_data`).
    pub fn trailing_data(&self) -> (&[u8], bool) {
        (&self.read_buf, self.eof)
    }

    /// Gives up the connection, returning the unconsumed received bytes and whether the
    /// peer closed, for the protocol an Upgrade or CONNECT switched to.
    pub fn into_parts(self) -> (BytesMut, bool) {
        (self.read_buf, self.eof)
    }

    // ---- B. input ---------------------------------------------------------------------

    /// Appends bytes received at `now` (one copy into the receive buffer). Past
    /// [`Limits::max_buffered_bytes`](crate::Limits) of unconsumed input the bytes are
    /// dropped and the connection fails with [`RecvError::BufferFull`].
    pub fn recv(&mut self, now: Instant, data: &[u8]) {
        if self.admit(now, data.len()) {
            self.read_buf.extend_from_slice(data);
            self.read_alloc.note(&self.read_buf);
        }
    }

    /// Hands over bytes received at `now`; adopted without a copy when nothing is
    /// buffered. Bounded as [`recv`](Self::recv) is.
    pub fn recv_owned(&mut self, now: Instant, data: BytesMut) {
        if !self.admit(now, data.len()) {
            return;
        }
        if self.read_buf.is_empty() {
            self.read_buf = data;
            self.read_alloc.adopt(&self.read_buf);
        } else {
            self.read_buf.extend_from_slice(&data);
            self.read_alloc.note(&self.read_buf);
        }
    }

    /// Whether more input may be buffered. Once the limit is passed the connection has
    /// failed: input after the gap could only be misread, so all of it is dropped.
    fn admit(&mut self, now: Instant, len: usize) -> bool {
        if self.error.is_some() {
            // Input after the error could only be misread: it is dropped.
            return false;
        }
        if self.read_buf.len() >= self.config.limits.max_buffered_bytes {
            self.fail(RecvError::BufferFull);
            return false;
        }
        if len > 0 {
            let awaiting_head = self.awaiting_head();
            self.timers.received(
                now,
                awaiting_head && self.read_buf.is_empty(),
                self.their_state(),
            );
        }
        true
    }

    /// Whether the peer's next bytes start a head: a request (server), or a response to
    /// the request we sent (client).
    fn awaiting_head(&self) -> bool {
        match self.role {
            Role::Server => self.their_state() == State::Idle,
            Role::Client => {
                matches!(self.their_state(), State::Idle | State::SendResponse)
                    && self.our_state() != State::Idle
            }
        }
    }

    /// Makes `error` sticky: the peer's side is in error and keep-alive is off.
    fn fail(&mut self, error: RecvError) {
        self.error = Some(error);
        self.machine.process_error(self.role.peer());
        self.machine.disable_keep_alive();
    }

    /// The peer closed its sending side at `now`. A close-delimited body then ends, a
    /// partial message becomes an error, and a close at a message boundary becomes
    /// [`Event::ConnectionClosed`].
    pub fn recv_eof(&mut self, now: Instant) {
        self.timers.last_input = now;
        self.eof = true;
    }

    /// The deadline from [`poll_timeout`](Self::poll_timeout) has passed: the
    /// connection fails with [`RecvError::HeadTimeout`], [`RecvError::BodyTimeout`] or
    /// [`RecvError::IdleTimeout`], reported by [`poll_event`](Self::poll_event). Calling
    /// it early is harmless.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.error.is_some() {
            return;
        }
        if let Some((deadline, expiry)) = self.deadline()
            && now >= deadline
        {
            self.fail(match expiry {
                Expiry::Head => RecvError::HeadTimeout,
                Expiry::Body => RecvError::BodyTimeout,
                Expiry::Idle => RecvError::IdleTimeout,
            });
        }
    }

    /// The next deadline to sleep until, if a timer runs: the head, body or keep-alive
    /// timeout of [`Config::timeouts`].
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadline().map(|(deadline, _)| deadline)
    }

    fn deadline(&self) -> Option<(Instant, Expiry)> {
        if self.error.is_some() || self.eof {
            return None;
        }
        let timeouts = &self.config.timeouts;
        if self.their_state() == State::SendBody {
            return self.timers.body(timeouts);
        }
        if self.awaiting_head() || self.both_idle() {
            return self.timers.head_or_idle(timeouts);
        }
        None
    }

    fn both_idle(&self) -> bool {
        self.our_state() == State::Idle && self.their_state() == State::Idle
    }

    // ---- D. drains --------------------------------------------------------------------

    /// The next event from the peer, `None` if more bytes are needed, the connection is
    /// paused (see [`is_paused`](Self::is_paused)) or it has ended.
    ///
    /// When the peer broke the protocol, a limit was exceeded or a timer expired, the
    /// event is [`Event::ConnectionLost`], once: nothing after the offending bytes is
    /// parsed and keep-alive is off. A server can still send its error response (see
    /// [`RecvError::status_hint`]).
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        if let Some(error) = self.error {
            return self.report(error);
        }
        match self.next_event() {
            Ok(event) => event,
            Err(error) => {
                self.fail(error);
                self.report(error)
            }
        }
    }

    fn report(&mut self, error: RecvError) -> Option<Event> {
        if self.error_reported {
            return None;
        }
        self.error_reported = true;
        Some(Event::ConnectionLost(error))
    }

    /// The next bytes to write, in order: heads, framing and body `Bytes` (passed
    /// through untouched unless small enough to coalesce with their framing).
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.outbox.pop()
    }

    // ---- C. commands ------------------------------------------------------------------

    /// Client role: sends a request head. Framing follows its fields:
    /// `Transfer-Encoding: chunked`, `Content-Length`, or no body when neither is given.
    ///
    /// # Errors
    /// [`SendError::InvalidState`] unless we are a client in [`State::Idle`];
    /// [`SendError::InvalidFraming`] for contradictory framing fields;
    /// [`SendError::InvalidHead`] for bytes that cannot go on the wire.
    pub fn send_request(&mut self, head: &RequestHead) -> Result<(), SendError> {
        const ACTION: &str = "send a request";
        if self.role != Role::Client || self.our_state() != State::Idle {
            return Err(self.invalid(ACTION));
        }
        let facts = head_facts(&head.headers).map_err(|_| SendError::InvalidFraming)?;
        let encoder = match (facts.transfer_encoding, facts.content_length) {
            (Some(_), Some(_)) => return Err(SendError::InvalidFraming),
            (Some(TransferEncoding::Chunked), None) if head.version == Version::Http11 => {
                BodyEncoder::Chunked
            }
            (Some(_), None) => return Err(SendError::InvalidFraming),
            (None, Some(length)) => BodyEncoder::Length(length),
            (None, None) => BodyEncoder::Length(0),
        };
        // Written straight into the outbox: the writer validates before it writes, and a
        // refused transition takes the bytes back out.
        let queued = self.outbox.scratch.len();
        write::write_request_head_with(head, &[], &mut self.outbox.scratch)?;
        if self
            .machine
            .process(Role::Client, Transition::Request, None)
            .is_err()
        {
            self.outbox.scratch.truncate(queued);
            return Err(self.invalid(ACTION));
        }
        self.request_is_head = head.method == "HEAD";
        self.request_is_connect = head.method == "CONNECT";
        if self.request_is_connect {
            self.machine.propose_switch(Switch::Connect);
        }
        if facts.upgrade && head.version == Version::Http11 {
            self.machine.propose_switch(Switch::Upgrade);
        }
        if !wants_keep_alive(head.version, &facts) {
            self.machine.disable_keep_alive();
        }
        self.waiting_for_continue = facts.expect_continue && head.version == Version::Http11;
        self.encoder = Some(encoder);
        Ok(())
    }

    /// Server role: sends a response head, final or 1xx (a 1xx is the same as
    /// [`send_informational`](Self::send_informational)).
    ///
    /// Framing: nothing for HEAD requests, 204, 304 and 2xx to CONNECT (a Content-Length
    /// given for HEAD is sent as is); otherwise `Transfer-Encoding: chunked` or
    /// `Content-Length` as given; with neither, chunked is added for an HTTP/1.1 peer and
    /// an HTTP/1.0 peer gets a close-delimited body. `Connection: close` is added when the
    /// connection will not be reused, `Connection: keep-alive` for an HTTP/1.0 peer that
    /// asked for it (RFC 9112 §9.3).
    ///
    /// # Errors
    /// [`SendError::InvalidState`] unless we are a server that owes a response;
    /// [`SendError::InvalidStatus`], [`SendError::InvalidFraming`],
    /// [`SendError::InvalidHead`] for a head that cannot be sent.
    pub fn send_response(&mut self, head: &ResponseHead) -> Result<(), SendError> {
        if (100..200).contains(&head.status) {
            return self.send_informational(head);
        }
        const ACTION: &str = "send a response";
        if self.role != Role::Server
            || !matches!(self.our_state(), State::Idle | State::SendResponse)
        {
            return Err(self.invalid(ACTION));
        }
        if !(200..=999).contains(&head.status) {
            return Err(SendError::InvalidStatus(head.status));
        }
        let facts = head_facts(&head.headers).map_err(|_| SendError::InvalidFraming)?;
        let accepted = (self.machine.pending_switch(Switch::Connect)
            && (200..300).contains(&head.status))
        .then_some(Switch::Connect);
        let peer_11 = self.peer_version == Version::Http11;
        let mut keep_alive = self.machine.keep_alive() && wants_keep_alive(head.version, &facts);
        // The client may be holding its body back for our 100; if it never sends it we
        // cannot find the next request, so do not reuse the connection (Kettle 2025,
        // Expect-based desync).
        if self.waiting_for_continue && self.their_state() == State::SendBody {
            keep_alive = false;
        }
        // A response without a request (408, or 400 before a head was complete) pairs
        // with nothing, so the connection cannot carry another exchange.
        if matches!(self.their_state(), State::Idle | State::Error) {
            keep_alive = false;
        }
        let no_body =
            self.request_is_head || head.status == 204 || head.status == 304 || accepted.is_some();
        let mut strip_transfer_encoding = false;
        let mut add_chunked = false;
        let encoder = if no_body {
            BodyEncoder::Nothing
        } else {
            match (facts.transfer_encoding, facts.content_length) {
                (Some(_), Some(_)) => return Err(SendError::InvalidFraming),
                (Some(TransferEncoding::Chunked), None) if peer_11 => BodyEncoder::Chunked,
                (Some(TransferEncoding::Chunked), None) => {
                    // HTTP/1.0 has no chunked coding (RFC 9112 §6.1); fall back to close.
                    strip_transfer_encoding = true;
                    keep_alive = false;
                    BodyEncoder::UntilClose
                }
                (Some(_), None) => return Err(SendError::InvalidFraming),
                (None, Some(length)) => BodyEncoder::Length(length),
                (None, None) if peer_11 => {
                    add_chunked = true;
                    BodyEncoder::Chunked
                }
                (None, None) => {
                    keep_alive = false;
                    BodyEncoder::UntilClose
                }
            }
        };
        let mut extra: [(&[u8], &[u8]); 2] = [(b"", b""); 2];
        let mut extra_len = 0;
        if add_chunked {
            extra[extra_len] = (b"Transfer-Encoding", b"chunked");
            extra_len += 1;
        }
        if !keep_alive && !facts.connection_close && accepted.is_none() {
            extra[extra_len] = (b"Connection", b"close");
            extra_len += 1;
        } else if keep_alive && !peer_11 && !facts.connection_keep_alive {
            extra[extra_len] = (b"Connection", b"keep-alive");
            extra_len += 1;
        }
        let extra = extra.get(..extra_len).unwrap_or_default();
        let queued = self.outbox.scratch.len();
        if strip_transfer_encoding {
            let mut stripped = head.clone();
            stripped.headers.remove("transfer-encoding");
            write::write_response_head_with(&stripped, extra, &mut self.outbox.scratch)?;
        } else {
            write::write_response_head_with(head, extra, &mut self.outbox.scratch)?;
        }
        if self
            .machine
            .process(Role::Server, Transition::Response, accepted)
            .is_err()
        {
            self.outbox.scratch.truncate(queued);
            return Err(self.invalid(ACTION));
        }
        if !keep_alive {
            self.machine.disable_keep_alive();
        }
        self.waiting_for_continue = false;
        self.encoder = (accepted.is_none()).then_some(encoder);
        Ok(())
    }

    /// Server role: sends a 1xx response. A 101 accepts the client's Upgrade and switches
    /// protocols: what follows on the wire is no longer HTTP/1.1.
    ///
    /// # Errors
    /// [`SendError::InvalidStatus`] for a status outside 100..=199, a 101 without an
    /// Upgrade proposal, or any 1xx to an HTTP/1.0 client (RFC 9110 §15.2);
    /// [`SendError::InvalidState`] unless a response is owed.
    pub fn send_informational(&mut self, head: &ResponseHead) -> Result<(), SendError> {
        const ACTION: &str = "send an informational response";
        if self.role != Role::Server || self.our_state() != State::SendResponse {
            return Err(self.invalid(ACTION));
        }
        let upgrade_pending = self.machine.pending_switch(Switch::Upgrade);
        if !(100..200).contains(&head.status)
            || (head.status == 101 && !upgrade_pending)
            || self.peer_version == Version::Http10
        {
            return Err(SendError::InvalidStatus(head.status));
        }
        let accepted = (head.status == 101).then_some(Switch::Upgrade);
        let queued = self.outbox.scratch.len();
        write::write_response_head_with(head, &[], &mut self.outbox.scratch)?;
        if self
            .machine
            .process(Role::Server, Transition::Informational, accepted)
            .is_err()
        {
            self.outbox.scratch.truncate(queued);
            return Err(self.invalid(ACTION));
        }
        self.waiting_for_continue = false;
        Ok(())
    }

    /// Server role: sends `100 Continue` (RFC 9110 §15.2.1) so a client waiting on
    /// `Expect: 100-continue` sends its body.
    ///
    /// # Errors
    /// As [`send_informational`](Self::send_informational).
    pub fn send_continue(&mut self) -> Result<(), SendError> {
        self.send_informational(&ResponseHead::new(100))
    }

    /// Sends body bytes, framed as the head decided; the `Bytes` themselves go out
    /// untouched.
    ///
    /// # Errors
    /// [`SendError::InvalidState`] outside [`State::SendBody`];
    /// [`SendError::BodyTooLong`] past the Content-Length;
    /// [`SendError::BodyNotAllowed`] for a message without a body. Nothing is queued then.
    pub fn send_data(&mut self, data: Bytes) -> Result<(), SendError> {
        const ACTION: &str = "send data";
        let Some(encoder) = self.encoder.as_mut() else {
            return Err(self.invalid(ACTION));
        };
        if self.machine.state(self.role) != State::SendBody {
            return Err(self.invalid(ACTION));
        }
        encoder.data(data, &mut self.outbox)?;
        self.machine
            .process(self.role, Transition::Data, None)
            .map_err(|_| self.invalid(ACTION))?;
        if self.role == Role::Client {
            self.waiting_for_continue = false;
        }
        Ok(())
    }

    /// Ends the message, with trailer fields if the body is chunked.
    ///
    /// # Errors
    /// [`SendError::InvalidState`] outside [`State::SendBody`];
    /// [`SendError::BodyTooShort`] before Content-Length bytes were sent;
    /// [`SendError::TrailersNotAllowed`] for trailers without chunked framing;
    /// [`SendError::InvalidHead`] for invalid trailer fields.
    pub fn send_end(&mut self, trailers: Option<&HeaderMap>) -> Result<(), SendError> {
        const ACTION: &str = "end the message";
        if self.machine.state(self.role) != State::SendBody {
            return Err(self.invalid(ACTION));
        }
        let Some(encoder) = self.encoder.as_mut() else {
            return Err(self.invalid(ACTION));
        };
        encoder.end(trailers, &mut self.outbox)?;
        self.encoder = None;
        self.machine
            .process(self.role, Transition::EndOfMessage, None)
            .map_err(|_| self.invalid(ACTION))?;
        if self.role == Role::Client {
            self.waiting_for_continue = false;
        }
        Ok(())
    }

    /// Resets both sides from [`State::Done`] to [`State::Idle`] at `now` to carry the
    /// next request on this connection: the keep-alive timer starts, or the head timer
    /// if the next head has begun. Call `poll_event` again afterwards: a pipelined
    /// request may already be buffered.
    ///
    /// # Errors
    /// [`SendError::InvalidState`] unless both sides are `Done` (after `Connection: close`
    /// they are `MustClose`: close the connection instead).
    pub fn start_next_cycle(&mut self, now: Instant) -> Result<(), SendError> {
        self.machine
            .start_next_cycle()
            .map_err(|_| self.invalid("start the next cycle"))?;
        self.head_scan_from = None;
        self.decoder = None;
        self.encoder = None;
        self.request_is_head = false;
        self.request_is_connect = false;
        self.waiting_for_continue = false;
        self.timers.next_cycle(now, !self.read_buf.is_empty());
        Ok(())
    }

    fn invalid(&self, action: &'static str) -> SendError {
        SendError::InvalidState {
            action,
            state: self.our_state(),
        }
    }

    // ---- receiving --------------------------------------------------------------------

    fn next_event(&mut self) -> Result<Option<Event>, RecvError> {
        let peer = self.role.peer();
        match (peer, self.machine.state(peer)) {
            (Role::Client, State::Idle) => self.read_request_head(),
            (Role::Server, State::Idle | State::SendResponse) => self.read_response_head(),
            (_, State::SendBody) => self.read_body(),
            (_, State::Done | State::MustClose) => {
                if self.read_buf.is_empty() && self.eof {
                    self.peer_closed()
                } else {
                    Ok(None)
                }
            }
            _ => Ok(None),
        }
    }

    fn peer_closed(&mut self) -> Result<Option<Event>, RecvError> {
        if self.closed_reported {
            return Ok(None);
        }
        self.closed_reported = true;
        // Allowed from every state this is called in.
        let _ = self
            .machine
            .process(self.role.peer(), Transition::ConnectionClosed, None);
        Ok(Some(Event::ConnectionClosed))
    }

    /// Whether to run the head parser now: always on the first attempt, and after a
    /// partial attempt only once the end-of-head search (resumed where it stopped) finds
    /// a blank line, so a head trickling in is scanned O(n) rather than re-parsed per read.
    fn head_ready(&mut self) -> bool {
        let max = self.config.limits.max_head_bytes;
        let Some(from) = self.head_scan_from else {
            return true;
        };
        let window = self.read_buf.get(..max).unwrap_or(&self.read_buf);
        match scan::find_section_end(window, from) {
            // At the limit or at EOF the parser gets the last word, so the error reported
            // is the first one in the bytes (as if they had arrived in one read), not
            // just "too large" or "incomplete".
            Ok(_) => true,
            Err(_) if self.eof || self.read_buf.len() >= max => true,
            Err(resume) => {
                self.head_scan_from = Some(resume);
                false
            }
        }
    }

    fn head_partial(&mut self) -> Result<Option<Event>, RecvError> {
        if self.eof {
            return Err(RecvError::IncompleteHead);
        }
        // Resume a few bytes back so a line end split across reads is seen whole.
        self.head_scan_from = Some(self.read_buf.len().saturating_sub(3));
        Ok(None)
    }

    fn read_request_head(&mut self) -> Result<Option<Event>, RecvError> {
        // Empty lines between requests are ignored (RFC 9112 §2.2); dropping them here
        // keeps the resumable head search simple.
        loop {
            match self.read_buf[..] {
                [b'\r', b'\n', ..] => self.read_buf.advance(2),
                [b'\n', ..] if self.config.leniency.bare_lf => self.read_buf.advance(1),
                _ => break,
            }
            self.head_scan_from = None;
        }
        if self.read_buf.is_empty() || self.read_buf[..] == *b"\r" {
            return if self.eof {
                if self.read_buf.is_empty() {
                    self.peer_closed()
                } else {
                    Err(RecvError::IncompleteHead)
                }
            } else {
                Ok(None)
            };
        }
        if !self.head_ready() {
            return self.head_partial();
        }
        let parsed =
            match parse::parse_request_head(&self.read_buf, &self.config, &mut self.fields)? {
                Status::Complete(parsed) => parsed,
                Status::Partial => return self.head_partial(),
            };
        let bytes = self.read_buf.split_to(parsed.head_len).freeze();
        self.head_scan_from = None;
        let mut head = RequestHead {
            method: span_bytes(&bytes, parsed.method),
            target: span_bytes(&bytes, parsed.target),
            version: parsed.version,
            headers: fields_to_map(&bytes, &self.fields),
            framing: RequestFraming::None,
        };
        let facts = head_facts(&head.headers)?;
        let leniency = &self.config.leniency;
        if facts.hosts > 1 {
            return Err(RecvError::DuplicateHost);
        }
        if facts.hosts == 0 && head.version == Version::Http11 && !leniency.missing_host {
            return Err(RecvError::MissingHost);
        }
        if facts.hosts == 1 && !facts.host_valid {
            return Err(RecvError::InvalidHost);
        }
        if !crate::framing::is_valid_target_form(&head.method, &head.target) {
            return Err(RecvError::InvalidTargetForm);
        }
        let (length, force_close) = body_length(head.version, &facts, true, leniency)?;
        head.framing = match length {
            BodyLength::Chunked => RequestFraming::Chunked,
            BodyLength::Length(n) if facts.content_length.is_some() => RequestFraming::Length(n),
            BodyLength::Length(_) | BodyLength::UntilEof => RequestFraming::None,
        };

        self.machine
            .process(Role::Client, Transition::Request, None)
            .map_err(|_| RecvError::UnexpectedData)?;
        self.request_is_head = head.is_head();
        self.request_is_connect = head.method == "CONNECT";
        self.peer_version = head.version;
        self.timers.head_done();
        if self.request_is_connect {
            self.machine.propose_switch(Switch::Connect);
        }
        if facts.upgrade && head.version == Version::Http11 {
            self.machine.propose_switch(Switch::Upgrade);
        }
        if force_close || !wants_keep_alive(head.version, &facts) {
            self.machine.disable_keep_alive();
        }
        self.waiting_for_continue = facts.expect_continue && head.version == Version::Http11;
        self.decoder = Some(decoder_for(length));
        Ok(Some(Event::Request(head)))
    }

    fn read_response_head(&mut self) -> Result<Option<Event>, RecvError> {
        if self.read_buf.is_empty() {
            return if self.eof {
                if self.their_state() == State::Idle && self.our_state() == State::Idle {
                    self.peer_closed()
                } else {
                    Err(RecvError::IncompleteHead)
                }
            } else {
                Ok(None)
            };
        }
        if !self.head_ready() {
            return self.head_partial();
        }
        let parsed =
            match parse::parse_response_head(&self.read_buf, &self.config, &mut self.fields)? {
                Status::Complete(parsed) => parsed,
                Status::Partial => return self.head_partial(),
            };
        let bytes = self.read_buf.split_to(parsed.head_len).freeze();
        self.head_scan_from = None;
        let head = ResponseHead {
            status: parsed.status,
            reason: span_bytes(&bytes, parsed.reason),
            version: parsed.version,
            headers: fields_to_map(&bytes, &self.fields),
        };
        let facts = head_facts(&head.headers)?;
        self.peer_version = head.version;
        self.timers.head_done();

        if head.status < 200 {
            let accepted = match head.status {
                101 if self.machine.pending_switch(Switch::Upgrade) => Some(Switch::Upgrade),
                101 => return Err(RecvError::UnexpectedInformational),
                _ => None,
            };
            self.machine
                .process(Role::Server, Transition::Informational, accepted)
                .map_err(|_| RecvError::UnexpectedInformational)?;
            self.waiting_for_continue = false;
            return Ok(Some(Event::Informational(head)));
        }

        let accepted = (self.request_is_connect && (200..300).contains(&head.status))
            .then_some(Switch::Connect);
        let no_body =
            self.request_is_head || head.status == 204 || head.status == 304 || accepted.is_some();
        let (length, force_close) = if no_body {
            (BodyLength::Length(0), false)
        } else {
            body_length(head.version, &facts, false, &self.config.leniency)?
        };
        self.machine
            .process(Role::Server, Transition::Response, accepted)
            .map_err(|_| RecvError::UnexpectedData)?;
        if force_close || length == BodyLength::UntilEof || !wants_keep_alive(head.version, &facts)
        {
            self.machine.disable_keep_alive();
        }
        self.waiting_for_continue = false;
        self.decoder = accepted.is_none().then(|| decoder_for(length));
        Ok(Some(Event::Response(head)))
    }

    fn read_body(&mut self) -> Result<Option<Event>, RecvError> {
        let peer = self.role.peer();
        let Some(decoder) = self.decoder.as_mut() else {
            return Ok(None);
        };
        let event = decoder.decode(&mut self.read_buf, self.eof, &self.config, &mut self.fields)?;
        match event {
            None => Ok(None),
            Some(BodyEvent::Data(data)) => {
                // The application may keep it: copied out unless it is a large share
                // of the read buffer, so framing and pipelined bytes stay out of it.
                let data = self.read_alloc.detach(data);
                let _ = self.machine.process(peer, Transition::Data, None);
                if peer == Role::Client {
                    self.waiting_for_continue = false;
                }
                Ok(Some(Event::Data(data)))
            }
            Some(BodyEvent::End(trailers)) => {
                self.decoder = None;
                self.machine
                    .process(peer, Transition::EndOfMessage, None)
                    .map_err(|InvalidTransition(_)| RecvError::UnexpectedData)?;
                if peer == Role::Client {
                    self.waiting_for_continue = false;
                }
                Ok(Some(Event::EndOfMessage { trailers }))
            }
        }
    }
}

fn decoder_for(length: BodyLength) -> BodyDecoder {
    match length {
        BodyLength::Length(remaining) => BodyDecoder::Length { remaining },
        BodyLength::Chunked => BodyDecoder::chunked(),
        BodyLength::UntilEof => BodyDecoder::UntilEof,
    }
}

/// Persistence (RFC 9112 §9.3): HTTP/1.1 unless `close`; HTTP/1.0 only with `keep-alive`.
fn wants_keep_alive(version: Version, facts: &HeadFacts) -> bool {
    !facts.connection_close && (version == Version::Http11 || facts.connection_keep_alive)
}

/// RFC 9112 §6.3 for a received message: the body length, and whether the connection
/// must close afterwards. Responses without framing run until EOF; requests have none.
fn body_length(
    version: Version,
    facts: &HeadFacts,
    is_request: bool,
    leniency: &crate::config::Leniency,
) -> Result<(BodyLength, bool), RecvError> {
    let Some(te) = facts.transfer_encoding else {
        return Ok(match facts.content_length {
            Some(length) => (BodyLength::Length(length), false),
            None if is_request => (BodyLength::Length(0), false),
            None => (BodyLength::UntilEof, true),
        });
    };
    if version == Version::Http10 {
        return Err(RecvError::TransferEncodingInHttp10);
    }
    let force_close = match facts.content_length {
        Some(_) if leniency.content_length_with_transfer_encoding => true,
        Some(_) => return Err(RecvError::ContentLengthWithTransferEncoding),
        None => false,
    };
    match te {
        TransferEncoding::Chunked => Ok((BodyLength::Chunked, force_close)),
        TransferEncoding::ChunkedAfterOthers => Err(RecvError::UnsupportedTransferCoding),
        TransferEncoding::NotChunked if !is_request => Ok((BodyLength::UntilEof, true)),
        TransferEncoding::NotChunked | TransferEncoding::Malformed => {
            Err(RecvError::InvalidTransferEncoding)
        }
    }
}
