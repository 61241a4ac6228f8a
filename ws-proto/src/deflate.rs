//! permessage-deflate (RFC 7692): negotiation, and the compressor and inflater of one
//! connection.
//!
//! The DEFLATE codec is flate2 on zlib-rs, a pure-Rust port of zlib, which compresses with
//! any window from 9 to 15 bits. RFC 7692 allows windows down to 8 bits (§7.1.2), and raw
//! DEFLATE in zlib refuses 8. It does not need it: zlib never emits a match more than
//! `window - MIN_LOOKAHEAD` (262) bytes back, so with a 9-bit window every distance is at
//! most 250, inside a 256-byte window. A compressor built for 9 bits therefore keeps to a
//! limit of 8, and both roles accept 8 like any other value.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use http_core::Role;

use crate::error::Error;
use crate::params::Extension;

/// The extension's name (RFC 7692 §7).
pub(crate) const NAME: &str = "permessage-deflate";

/// The four octets a sender removes from the end of each compressed message, and the
/// receiver puts back before inflating (RFC 7692 §7.2.1, §7.2.2).
const TAIL: [u8; 4] = [0x00, 0x00, 0xFF, 0xFF];

/// The largest LZ77 window, and the default (§7.1.2).
const MAX_WINDOW_BITS: u8 = 15;

/// The smallest window a `*_max_window_bits` parameter may name (§7.1.2.1).
const MIN_WINDOW_BITS: u8 = 8;

/// The smallest window zlib's raw DEFLATE builds; see the module documentation for why it
/// also serves a limit of 8.
const MIN_ZLIB_WINDOW_BITS: u8 = 9;

/// What this endpoint asks for or agrees to in the opening handshake (RFC 7692 §7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeflateConfig {
    /// Ask that the server compress each message on its own (§7.1.1.1): less memory held
    /// between messages, less compression. A server that sets it says so in every response.
    pub server_no_context_takeover: bool,
    /// Ask that the client compress each message on its own (§7.1.1.2). A client that
    /// offers it keeps to it whatever the server answers.
    pub client_no_context_takeover: bool,
    /// The server's LZ77 window, 8 to 15 bits (§7.1.2.1); 15 sets no limit. A client below
    /// 15 offers `server_max_window_bits` with it. A server compresses with no larger
    /// window than this or the client's offer, and names the window in its response when
    /// it is below 15 (the parameter may answer an offer that did not carry it).
    pub server_max_window_bits: u8,
    /// The client's LZ77 window, 8 to 15 bits (§7.1.2.2); 15 sets no limit. A client
    /// always offers `client_max_window_bits` (with this value when below 15), since it
    /// compresses with whatever window the server names. A server names the smaller of this
    /// and the client's value in its response, when below 15 and when the offer carried the
    /// parameter; otherwise the client compresses with up to 15 bits.
    pub client_max_window_bits: u8,
    /// The zlib compression level, 0 (none) to 9 (best).
    pub level: u32,
}

impl Default for DeflateConfig {
    /// Context takeover both ways and 15-bit windows (the best ratio), level 6 (zlib's
    /// default).
    fn default() -> Self {
        Self {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: MAX_WINDOW_BITS,
            client_max_window_bits: MAX_WINDOW_BITS,
            level: 6,
        }
    }
}

/// The parameters both ends agreed on, which the [`Connection`](crate::Connection) applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct DeflateParams {
    /// The server resets its compressor after each message.
    pub server_no_context_takeover: bool,
    /// The client resets its compressor after each message.
    pub client_no_context_takeover: bool,
    /// The server's LZ77 window, 8 to 15 bits (values outside are taken as the nearest).
    pub server_max_window_bits: u8,
    /// The client's LZ77 window, 8 to 15 bits (values outside are taken as the nearest).
    pub client_max_window_bits: u8,
    /// Our compression level, 0 to 9.
    pub level: u32,
}

impl DeflateParams {
    fn base(level: u32) -> Self {
        Self {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: MAX_WINDOW_BITS,
            client_max_window_bits: MAX_WINDOW_BITS,
            level,
        }
    }

    /// Whether the compressor of `role` resets after each message.
    fn no_context_takeover(&self, role: Role) -> bool {
        match role {
            Role::Server => self.server_no_context_takeover,
            Role::Client => self.client_no_context_takeover,
        }
    }

    /// The window zlib is built with for what `role` compresses: the agreed limit, raised
    /// from 8 to 9 (module documentation).
    fn zlib_window_bits(&self, role: Role) -> u8 {
        let bits = match role {
            Role::Server => self.server_max_window_bits,
            Role::Client => self.client_max_window_bits,
        };
        bits.clamp(MIN_ZLIB_WINDOW_BITS, MAX_WINDOW_BITS)
    }
}

/// A `*_max_window_bits` value: 8 to 15 as a plain number (§7.1.2.1).
fn window_bits(value: Option<&str>) -> Option<u8> {
    let v = value?;
    if v.is_empty() || v.len() > 2 || !v.bytes().all(|b| b.is_ascii_digit()) || v.starts_with('0') {
        return None;
    }
    v.parse()
        .ok()
        .filter(|b| (MIN_WINDOW_BITS..=MAX_WINDOW_BITS).contains(b))
}

/// A configured window, held to the range the parameters allow.
fn clamp_bits(bits: u8) -> u8 {
    bits.clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS)
}

/// Builds a `permessage-deflate` element: the flags that are set, then the windows that are
/// named (`Some(15)` is written; `Some(None)`, valueless).
fn element(
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Option<u8>,
    client_max_window_bits: Option<Option<u8>>,
) -> String {
    let mut s = String::from(NAME);
    if server_no_context_takeover {
        s.push_str("; server_no_context_takeover");
    }
    if client_no_context_takeover {
        s.push_str("; client_no_context_takeover");
    }
    if let Some(bits) = server_max_window_bits {
        s.push_str(&format!("; server_max_window_bits={bits}"));
    }
    match client_max_window_bits {
        Some(Some(bits)) => s.push_str(&format!("; client_max_window_bits={bits}")),
        Some(None) => s.push_str("; client_max_window_bits"),
        None => {}
    }
    s
}

/// One offer or response element, its parameters read once (§7.1): `None` when a parameter
/// is unknown, repeated, or has a value it may not have.
#[derive(Default)]
struct Parsed {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Option<u8>,
    /// Present, with its value if it had one.
    client_max_window_bits: Option<Option<u8>>,
}

impl Parsed {
    fn read(ext: &Extension) -> Option<Self> {
        let mut p = Self::default();
        let mut seen = [false; 4];
        for (key, value) in &ext.params {
            let slot = match key.as_str() {
                "server_no_context_takeover" if value.is_none() => {
                    p.server_no_context_takeover = true;
                    0
                }
                "client_no_context_takeover" if value.is_none() => {
                    p.client_no_context_takeover = true;
                    1
                }
                // §7.1.2.1: always with a value.
                "server_max_window_bits" => {
                    p.server_max_window_bits = Some(window_bits(value.as_deref())?);
                    2
                }
                // §7.1.2.2: valueless in an offer, with a value in a response (checked there).
                "client_max_window_bits" => {
                    p.client_max_window_bits = Some(match value {
                        Some(v) => Some(window_bits(Some(v))?),
                        None => None,
                    });
                    3
                }
                _ => return None,
            };
            if std::mem::replace(&mut seen[slot], true) {
                return None;
            }
        }
        Some(p)
    }
}

impl DeflateConfig {
    /// The client's offer, a `Sec-WebSocket-Extensions` element (§7.1). It always carries
    /// `client_max_window_bits`: this end compresses with any window the server names.
    #[must_use]
    pub fn offer(&self) -> String {
        let server_bits = clamp_bits(self.server_max_window_bits);
        let client_bits = clamp_bits(self.client_max_window_bits);
        element(
            self.server_no_context_takeover,
            self.client_no_context_takeover,
            (server_bits < MAX_WINDOW_BITS).then_some(server_bits),
            Some((client_bits < MAX_WINDOW_BITS).then_some(client_bits)),
        )
    }

    /// The server's side: the first acceptable permessage-deflate offer among `offers`,
    /// with the response element to send (§7.1). Offers with unknown or repeated
    /// parameters, or bad values, are declined, and the next one is tried (§7.1).
    pub(crate) fn accept_offer(&self, offers: &[Extension]) -> Option<(DeflateParams, String)> {
        let offer = offers
            .iter()
            .filter(|e| e.name == NAME)
            .find_map(Parsed::read)?;
        let mut params = DeflateParams::base(self.level);
        params.server_no_context_takeover =
            offer.server_no_context_takeover || self.server_no_context_takeover;
        params.client_no_context_takeover =
            offer.client_no_context_takeover || self.client_no_context_takeover;
        // §7.1.2.1: the same or a smaller window than offered, and ours may be smaller
        // still; named whenever the client asked or the window is below the default.
        let ours = clamp_bits(self.server_max_window_bits);
        params.server_max_window_bits = offer.server_max_window_bits.map_or(ours, |b| b.min(ours));
        let server_named = offer.server_max_window_bits.is_some()
            || params.server_max_window_bits < MAX_WINDOW_BITS;
        // §7.1.2.2: only an offer that carries client_max_window_bits may be answered with
        // it; its value, if any, is the client's own limit already.
        let mut client_named = false;
        if let Some(hint) = offer.client_max_window_bits {
            let bits = hint
                .unwrap_or(MAX_WINDOW_BITS)
                .min(clamp_bits(self.client_max_window_bits));
            params.client_max_window_bits = bits;
            client_named = bits < MAX_WINDOW_BITS;
        }
        let response = element(
            params.server_no_context_takeover,
            params.client_no_context_takeover,
            server_named.then_some(params.server_max_window_bits),
            client_named.then_some(Some(params.client_max_window_bits)),
        );
        Some((params, response))
    }

    /// The client's side: checks the server's response element against this offer
    /// (§7.1.1, §7.1.2). `None` means the response is not one this offer allows.
    pub(crate) fn accept_response(&self, ext: &Extension) -> Option<DeflateParams> {
        let r = Parsed::read(ext)?;
        let mut params = DeflateParams::base(self.level);
        // An offered server_no_context_takeover must be in the accepting response
        // (§7.1.1.1); the server may also set it unasked.
        if self.server_no_context_takeover && !r.server_no_context_takeover {
            return None;
        }
        params.server_no_context_takeover = r.server_no_context_takeover;
        // We offered it, so we keep to it whatever the server said (§7.1.1.2).
        params.client_no_context_takeover =
            r.client_no_context_takeover || self.client_no_context_takeover;
        // §7.1.2.1: an offered window is answered with the same or a smaller one.
        let asked = clamp_bits(self.server_max_window_bits);
        params.server_max_window_bits = match r.server_max_window_bits {
            Some(bits) if bits <= asked => bits,
            Some(_) => return None,
            None if asked < MAX_WINDOW_BITS => return None,
            None => MAX_WINDOW_BITS,
        };
        // §7.1.2.2: in a response, client_max_window_bits must carry a value; we keep to
        // our own offered limit if it is smaller.
        let ours = clamp_bits(self.client_max_window_bits);
        params.client_max_window_bits = match r.client_max_window_bits {
            Some(Some(bits)) => bits.min(ours),
            Some(None) => return None,
            None => ours,
        };
        Some(params)
    }
}

/// Our compressor (RFC 7692 §7.2.1).
#[derive(Debug)]
pub(crate) struct Deflater {
    c: Compress,
    reset_each_message: bool,
}

impl Deflater {
    pub(crate) fn new(params: &DeflateParams, role: Role) -> Self {
        Self {
            // `false`: raw DEFLATE, no zlib header (§7.2.1).
            c: Compress::new_with_window_bits(
                Compression::new(params.level.min(9)),
                false,
                params.zlib_window_bits(role),
            ),
            reset_each_message: params.no_context_takeover(role),
        }
    }

    /// Appends the compressed form of `data` to `out`. Each piece ends on a sync flush so
    /// the receiver can inflate it at once; the last one of a message loses the flush's
    /// four-octet tail (§7.2.1).
    pub(crate) fn compress(&mut self, data: &[u8], fin: bool, out: &mut Vec<u8>) {
        let start = out.len();
        let mut input = data;
        loop {
            // Room for the worst case (DEFLATE's fixed codes spend up to nine bits on a
            // byte; stored blocks add five bytes per block, plus the flush), so one call
            // nearly always does the whole piece; a full buffer goes round again.
            out.reserve(input.len() + input.len() / 8 + 64);
            let before = self.c.total_in();
            // zlib's compressor fails only on a misused stream; should it report a failure,
            // what it wrote so far is still well formed up to the flush.
            if self
                .c
                .compress_vec(input, out, FlushCompress::Sync)
                .is_err()
            {
                break;
            }
            let consumed = usize::try_from(self.c.total_in() - before).unwrap_or(input.len());
            input = input.get(consumed..).unwrap_or_default();
            if input.is_empty() && out.len() < out.capacity() {
                break;
            }
        }
        if fin {
            if out[start..].ends_with(&TAIL) {
                out.truncate(out.len() - TAIL.len());
            } else if out.len() == start {
                // zlib writes nothing for a flush with no new input (an empty message or
                // last fragment), but the receiver appends the tail all the same, and the
                // tail alone is not a block: one zero byte begins the empty stored block it
                // completes (§7.2.3.6).
                out.push(0x00);
            }
            if self.reset_each_message {
                self.c.reset();
            }
        }
    }
}

/// Our inflater, bounded by the message size limit.
#[derive(Debug)]
pub(crate) struct Inflater {
    d: Decompress,
    reset_each_message: bool,
}

/// How much output one inflate step may add: small enough that a bomb is caught early.
const STEP: usize = 16 * 1024;

impl Inflater {
    pub(crate) fn new(params: &DeflateParams, role: Role) -> Self {
        Self {
            // The peer's agreed window, not a larger one: its history is what a connection
            // holds between messages.
            d: Decompress::new_with_window_bits(false, params.zlib_window_bits(role.peer())),
            reset_each_message: params.no_context_takeover(role.peer()),
        }
    }

    /// Inflates `data` onto `out`, failing with [`Error::MessageTooBig`] as soon as `out`
    /// would pass `limit` bytes: memory never exceeds the limit by more than one step.
    pub(crate) fn inflate(
        &mut self,
        data: &[u8],
        out: &mut Vec<u8>,
        limit: usize,
    ) -> Result<(), Error> {
        let mut input = data;
        loop {
            let start = out.len();
            if start > limit {
                return Err(Error::MessageTooBig);
            }
            let room = (limit - start).saturating_add(1).min(STEP);
            // Grow by doubling, as `Vec` does, but never past the limit plus one step.
            if out.capacity() < start + room {
                let cap = out
                    .capacity()
                    .saturating_mul(2)
                    .min(limit.saturating_add(1));
                out.reserve_exact(cap.max(start + room) - start);
            }
            out.resize(start + room, 0);
            let (in0, out0) = (self.d.total_in(), self.d.total_out());
            let status = self
                .d
                .decompress(input, &mut out[start..], FlushDecompress::Sync);
            let produced = usize::try_from(self.d.total_out() - out0).unwrap_or(room);
            let consumed = usize::try_from(self.d.total_in() - in0).unwrap_or(input.len());
            out.truncate(start + produced);
            input = input.get(consumed..).unwrap_or_default();
            if out.len() > limit {
                return Err(Error::MessageTooBig);
            }
            match status.map_err(|_| Error::Deflate)? {
                // A final block (§7.2.3.4): what follows starts a new stream.
                Status::StreamEnd => self.d.reset(false),
                Status::Ok | Status::BufError => {}
            }
            let output_full = produced == room;
            if !output_full && (input.is_empty() || (consumed == 0 && produced == 0)) {
                return Ok(());
            }
        }
    }

    /// Ends a message: inflates the removed tail (§7.2.2) and resets without context
    /// takeover.
    pub(crate) fn finish(&mut self, out: &mut Vec<u8>, limit: usize) -> Result<(), Error> {
        self.inflate(&TAIL, out, limit)?;
        if self.reset_each_message {
            self.d.reset(false);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::parse_extensions;

    fn offers(s: &str) -> Vec<Extension> {
        parse_extensions(s).unwrap()
    }

    fn accept(cfg: &DeflateConfig, offer: &str) -> Option<(DeflateParams, String)> {
        cfg.accept_offer(&offers(offer))
    }

    #[test]
    fn server_negotiation() {
        let cfg = DeflateConfig::default();
        // The default offer of browsers: full windows, nothing named in the response.
        let (p, r) = accept(&cfg, "permessage-deflate; client_max_window_bits").unwrap();
        assert_eq!(r, "permessage-deflate");
        assert_eq!(p, DeflateParams::base(6));
        // All four parameters from the client (§7.1.1.1, §7.1.1.2, §7.1.2.1, §7.1.2.2).
        let (p, r) = accept(
            &cfg,
            "permessage-deflate; client_max_window_bits=10; server_max_window_bits=12; \
             server_no_context_takeover; client_no_context_takeover",
        )
        .unwrap();
        assert_eq!(
            r,
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=12; client_max_window_bits=10"
        );
        assert!(p.server_no_context_takeover && p.client_no_context_takeover);
        assert_eq!(
            (p.server_max_window_bits, p.client_max_window_bits),
            (12, 10)
        );
        // An 8-bit window is accepted like any other (module documentation), and a
        // response names the same or a smaller window (§7.1.2.1).
        let (p, r) = accept(&cfg, "permessage-deflate; server_max_window_bits=8").unwrap();
        assert_eq!(r, "permessage-deflate; server_max_window_bits=8");
        assert_eq!(p.server_max_window_bits, 8);
        // The server's own limits: its window named unasked, the client's only when the
        // offer carries client_max_window_bits (§7.1.2.2), never above the client's hint.
        let small = DeflateConfig {
            server_max_window_bits: 10,
            client_max_window_bits: 11,
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            level: 6,
        };
        let (p, r) = accept(&small, "permessage-deflate").unwrap();
        assert_eq!(
            r,
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=10"
        );
        assert_eq!(
            (p.server_max_window_bits, p.client_max_window_bits),
            (10, 15)
        );
        let (p, r) = accept(
            &small,
            "permessage-deflate; server_max_window_bits=13; client_max_window_bits",
        )
        .unwrap();
        assert!(
            r.ends_with("; server_max_window_bits=10; client_max_window_bits=11"),
            "{r}"
        );
        assert_eq!(
            (p.server_max_window_bits, p.client_max_window_bits),
            (10, 11)
        );
        let (p, _) = accept(&small, "permessage-deflate; client_max_window_bits=9").unwrap();
        assert_eq!(p.client_max_window_bits, 9);
        // Declined: unknown, repeated, valueless server_max_window_bits, bad values.
        for bad in [
            "permessage-deflate; foo",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate; client_max_window_bits; client_max_window_bits=9",
            "permessage-deflate; server_max_window_bits",
            "permessage-deflate; server_no_context_takeover=1",
        ] {
            assert_eq!(accept(&cfg, bad), None, "{bad}");
        }
        for v in ["7", "16", "010", "", "x"] {
            for key in ["server_max_window_bits", "client_max_window_bits"] {
                let o = format!("permessage-deflate; {key}=\"{v}\"");
                if let Some(list) = parse_extensions(&o) {
                    assert_eq!(cfg.accept_offer(&list), None, "{o}");
                }
            }
        }
        // A declined offer gives way to the next acceptable one (§7.1).
        let (p, r) = accept(
            &cfg,
            "x-other, permessage-deflate; server_max_window_bits=99, \
             permessage-deflate; server_max_window_bits=9",
        )
        .unwrap();
        assert_eq!(r, "permessage-deflate; server_max_window_bits=9");
        assert_eq!(p.server_max_window_bits, 9);
    }

    #[test]
    fn client_offers_and_checks_the_response() {
        assert_eq!(
            DeflateConfig::default().offer(),
            "permessage-deflate; client_max_window_bits"
        );
        let cfg = DeflateConfig {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            server_max_window_bits: 12,
            client_max_window_bits: 11,
            level: 6,
        };
        assert_eq!(
            cfg.offer(),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=12; client_max_window_bits=11"
        );
        let response = |s: &str| cfg.accept_response(&offers(s)[0]);
        let p = response(
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=9; \
             client_max_window_bits=8",
        )
        .unwrap();
        assert_eq!(
            p,
            DeflateParams {
                server_no_context_takeover: true,
                client_no_context_takeover: true,
                server_max_window_bits: 9,
                client_max_window_bits: 8,
                level: 6,
            }
        );
        // A larger client window than we offered: we keep to ours.
        let p = response(
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=12; \
             client_max_window_bits=15",
        )
        .unwrap();
        assert_eq!(p.client_max_window_bits, 11);
        for bad in [
            // server_no_context_takeover offered but not granted (§7.1.1.1).
            "permessage-deflate; server_max_window_bits=12",
            // server_max_window_bits offered but not answered, or answered larger.
            "permessage-deflate; server_no_context_takeover",
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=13",
            // client_max_window_bits without a value in a response (§7.1.2.2).
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=12; \
             client_max_window_bits",
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=12; x",
        ] {
            assert_eq!(response(bad), None, "{bad}");
        }
        // Without asking, the server may still limit its window or its context (§7.1.1.1,
        // §7.1.2.1).
        let p = DeflateConfig::default()
            .accept_response(
                &offers("permessage-deflate; server_no_context_takeover; server_max_window_bits=8")
                    [0],
            )
            .unwrap();
        assert!(p.server_no_context_takeover);
        assert_eq!(p.server_max_window_bits, 8);
    }

    fn round_trip(params: DeflateParams, messages: &[&[u8]]) {
        let mut tx = Deflater::new(&params, Role::Client);
        let mut rx = Inflater::new(&params, Role::Server);
        for m in messages {
            let mut wire = Vec::new();
            tx.compress(m, true, &mut wire);
            let mut out = Vec::new();
            rx.inflate(&wire, &mut out, usize::MAX).unwrap();
            rx.finish(&mut out, usize::MAX).unwrap();
            assert_eq!(&out, m);
        }
    }

    #[test]
    fn round_trips_with_and_without_context_takeover() {
        let msgs: [&[u8]; 4] = [b"Hello", b"Hello", b"", &[7u8; 100_000]];
        let mut p = DeflateParams::base(6);
        round_trip(p, &msgs);
        p.client_no_context_takeover = true;
        round_trip(p, &msgs);
    }

    #[test]
    fn an_empty_piece_after_a_flush_still_ends_the_message() {
        // zlib writes nothing for it; the receiver's appended tail must still parse.
        let p = DeflateParams::base(6);
        let mut tx = Deflater::new(&p, Role::Client);
        let mut rx = Inflater::new(&p, Role::Server);
        for pieces in [&[&b"abc"[..], b""][..], &[b""], &[b"xyz", b""], &[b"after"]] {
            let mut out = Vec::new();
            for (i, piece) in pieces.iter().enumerate() {
                let mut wire = Vec::new();
                tx.compress(piece, i + 1 == pieces.len(), &mut wire);
                rx.inflate(&wire, &mut out, usize::MAX).unwrap();
            }
            rx.finish(&mut out, usize::MAX).unwrap();
            assert_eq!(out, pieces.concat());
        }
    }

    /// `n` bytes that do not compress on their own (a linear congruential sequence).
    fn noise(n: usize, seed: u32) -> Vec<u8> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                (x >> 16) as u8
            })
            .collect()
    }

    /// The compressed size of `data` sent by `role` under `params`.
    fn compressed_len(params: &DeflateParams, role: Role, data: &[u8]) -> usize {
        let mut wire = Vec::new();
        Deflater::new(params, role).compress(data, true, &mut wire);
        let mut out = Vec::new();
        let mut rx = Inflater::new(params, role.peer());
        rx.inflate(&wire, &mut out, usize::MAX).unwrap();
        rx.finish(&mut out, usize::MAX).unwrap();
        assert_eq!(out, data);
        wire.len()
    }

    #[test]
    fn each_role_compresses_with_the_agreed_window() {
        // A block repeated 1000 bytes later: within a 15-bit window, out of a 9-bit one.
        let block = noise(1000, 1);
        let twice = [block.clone(), block].concat();
        for role in [Role::Client, Role::Server] {
            let mut p = DeflateParams::base(6);
            assert!(
                compressed_len(&p, role, &twice) < 1100,
                "{role:?} at 15 bits"
            );
            for bits in [8, 9] {
                match role {
                    Role::Client => p.client_max_window_bits = bits,
                    Role::Server => p.server_max_window_bits = bits,
                }
                assert!(
                    compressed_len(&p, role, &twice) > 1900,
                    "{role:?} at {bits}"
                );
            }
            // At 8 bits no match reaches past 250 bytes (module documentation): a period
            // of 251 finds nothing, a period of 250 compresses.
            let far = noise(251, 2).repeat(8);
            assert!(compressed_len(&p, role, &far) > 1800, "{role:?} period 251");
            let near = noise(250, 3).repeat(8);
            assert!(
                compressed_len(&p, role, &near) < 1300,
                "{role:?} period 250"
            );
        }
    }

    #[test]
    fn no_context_takeover_resets_each_message_in_each_role() {
        let msg = noise(300, 4).repeat(2);
        for role in [Role::Client, Role::Server] {
            for reset in [false, true] {
                let mut p = DeflateParams::base(6);
                match role {
                    Role::Client => p.client_no_context_takeover = reset,
                    Role::Server => p.server_no_context_takeover = reset,
                }
                let mut tx = Deflater::new(&p, role);
                let mut first = Vec::new();
                tx.compress(&msg, true, &mut first);
                let mut second = Vec::new();
                tx.compress(&msg, true, &mut second);
                if reset {
                    // A fresh compressor each time writes the same bytes.
                    assert_eq!(first, second, "{role:?}");
                } else {
                    assert!(second.len() < 40, "{role:?}: {}", second.len());
                }
                // The receiver resets too: the takeover form of the second message refers
                // to the first, which a reset inflater no longer has.
                let mut taking = Deflater::new(&DeflateParams::base(6), role);
                let mut rx = Inflater::new(&p, role.peer());
                for expect_ok in [true, !reset] {
                    let mut wire = Vec::new();
                    taking.compress(&msg, true, &mut wire);
                    let mut out = Vec::new();
                    let r = rx
                        .inflate(&wire, &mut out, usize::MAX)
                        .and_then(|()| rx.finish(&mut out, usize::MAX));
                    assert_eq!(r.is_ok() && out == msg, expect_ok, "{role:?} reset {reset}");
                }
            }
        }
    }

    #[test]
    fn stored_blocks_round_trip() {
        // Level 0 writes stored blocks, larger than the input.
        for n in [31_815, 40_000, 65_535, 65_536, 200_000] {
            round_trip(DeflateParams::base(0), &[&vec![0u8; n], b"x"]);
        }
    }

    #[test]
    fn hello_compresses_as_in_rfc7692() {
        // §7.2.3.1 and §7.2.3.2: "Hello", then "Hello" again sharing the window.
        let mut tx = Deflater::new(&DeflateParams::base(6), Role::Server);
        let mut wire = Vec::new();
        tx.compress(b"Hello", true, &mut wire);
        assert_eq!(wire, [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
        let mut wire = Vec::new();
        tx.compress(b"Hello", true, &mut wire);
        assert_eq!(wire, [0xf2, 0x00, 0x11, 0x00, 0x00]);
    }

    #[test]
    fn a_bomb_stops_at_the_limit() {
        let mut tx = Deflater::new(&DeflateParams::base(9), Role::Client);
        let mut wire = Vec::new();
        tx.compress(&vec![0u8; 10 << 20], true, &mut wire);
        assert!(wire.len() < 20_000, "{}", wire.len());
        let mut rx = Inflater::new(&DeflateParams::base(9), Role::Server);
        let mut out = Vec::new();
        assert_eq!(
            rx.inflate(&wire, &mut out, 1 << 20),
            Err(Error::MessageTooBig)
        );
        assert!(out.capacity() <= (1 << 20) + STEP + 1, "{}", out.capacity());
    }
}
