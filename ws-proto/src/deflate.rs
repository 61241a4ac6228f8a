//! permessage-deflate (RFC 7692): negotiation, and the compressor and inflater of one
//! connection.
//!
//! The DEFLATE codec is flate2 on its pure-Rust backend (miniz_oxide). That backend always
//! compresses with a 32 KiB window: flate2 offers window sizes only with a zlib backend.
//! Inflating needs no such choice, since a 32 KiB window reads what any smaller window
//! wrote. So a `*_max_window_bits` limit on what the *peer* compresses is accepted, and a
//! limit below 15 on what *we* compress is declined, as RFC 7692 §7.1.2.1 allows a server
//! to do (a client never offers `client_max_window_bits`, so a server cannot impose one).

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use http_core::Role;

use crate::error::Error;
use crate::params::Extension;

/// The extension's name (RFC 7692 §7).
pub(crate) const NAME: &str = "permessage-deflate";

/// The four octets a sender removes from the end of each compressed message, and the
/// receiver puts back before inflating (RFC 7692 §7.2.1, §7.2.2).
const TAIL: [u8; 4] = [0x00, 0x00, 0xFF, 0xFF];

/// The largest window, and the only one miniz_oxide compresses with.
const MAX_WINDOW_BITS: u8 = 15;

/// What this endpoint asks for or agrees to in the opening handshake (RFC 7692 §7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeflateConfig {
    /// Ask that the server compress each message on its own (§7.1.1.1): less memory held
    /// between messages, less compression. A server sets it in every response.
    pub server_no_context_takeover: bool,
    /// Ask that the client compress each message on its own (§7.1.1.2).
    pub client_no_context_takeover: bool,
    /// The zlib compression level, 0 (none) to 9 (best).
    pub level: u32,
}

impl Default for DeflateConfig {
    /// Context takeover both ways (the best ratio), level 6 (zlib's default).
    fn default() -> Self {
        Self {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
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
    /// The server's LZ77 window, 8 to 15 bits.
    pub server_max_window_bits: u8,
    /// The client's LZ77 window, 8 to 15 bits.
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
}

/// A `*_max_window_bits` value: 8 to 15 as a plain number (§7.1.2.1).
fn window_bits(value: Option<&str>) -> Option<u8> {
    let v = value?;
    if v.is_empty() || v.len() > 2 || !v.bytes().all(|b| b.is_ascii_digit()) || v.starts_with('0') {
        return None;
    }
    v.parse().ok().filter(|b| (8..=15).contains(b))
}

impl DeflateConfig {
    /// The client's offer, a `Sec-WebSocket-Extensions` value (§7.1). It never carries
    /// `client_max_window_bits`, so a server cannot ask for a smaller window than ours.
    #[must_use]
    pub fn offer(&self) -> String {
        let mut s = String::from(NAME);
        if self.server_no_context_takeover {
            s.push_str("; server_no_context_takeover");
        }
        if self.client_no_context_takeover {
            s.push_str("; client_no_context_takeover");
        }
        s
    }

    /// The server's side: the first acceptable permessage-deflate offer among `offers`,
    /// with the response element to send (§7.1). Offers with unknown or repeated
    /// parameters, bad values, or a `server_max_window_bits` below 15 are declined.
    pub(crate) fn accept_offer(&self, offers: &[Extension]) -> Option<(DeflateParams, String)> {
        'offers: for offer in offers.iter().filter(|e| e.name == NAME) {
            let mut params = DeflateParams::base(self.level);
            let mut seen = [false; 4];
            for (key, value) in &offer.params {
                let slot = match key.as_str() {
                    "server_no_context_takeover" if value.is_none() => {
                        params.server_no_context_takeover = true;
                        0
                    }
                    "client_no_context_takeover" if value.is_none() => {
                        params.client_no_context_takeover = true;
                        1
                    }
                    "server_max_window_bits" => match window_bits(value.as_deref()) {
                        Some(MAX_WINDOW_BITS) => 2,
                        _ => continue 'offers,
                    },
                    "client_max_window_bits" => {
                        if let Some(bits) = value {
                            match window_bits(Some(bits)) {
                                Some(b) => params.client_max_window_bits = b,
                                None => continue 'offers,
                            }
                        }
                        3
                    }
                    _ => continue 'offers,
                };
                if std::mem::replace(&mut seen[slot], true) {
                    continue 'offers;
                }
            }
            params.server_no_context_takeover |= self.server_no_context_takeover;
            params.client_no_context_takeover |= self.client_no_context_takeover;
            let mut response = String::from(NAME);
            if params.server_no_context_takeover {
                response.push_str("; server_no_context_takeover");
            }
            if params.client_no_context_takeover {
                response.push_str("; client_no_context_takeover");
            }
            if params.client_max_window_bits < MAX_WINDOW_BITS {
                response.push_str(&format!(
                    "; client_max_window_bits={}",
                    params.client_max_window_bits
                ));
            }
            return Some((params, response));
        }
        None
    }

    /// The client's side: checks the server's response element against our offer
    /// (§7.1.1, §7.1.2.2). `None` means the response is not one our offer allows.
    pub(crate) fn accept_response(&self, ext: &Extension) -> Option<DeflateParams> {
        let mut params = DeflateParams::base(self.level);
        let mut seen = [false; 3];
        for (key, value) in &ext.params {
            let slot = match key.as_str() {
                "server_no_context_takeover" if value.is_none() => {
                    params.server_no_context_takeover = true;
                    0
                }
                "client_no_context_takeover" if value.is_none() => {
                    params.client_no_context_takeover = true;
                    1
                }
                "server_max_window_bits" => {
                    params.server_max_window_bits = window_bits(value.as_deref())?;
                    2
                }
                // Not in our offer, so not allowed in the response (§7.1.2.2).
                _ => return None,
            };
            if std::mem::replace(&mut seen[slot], true) {
                return None;
            }
        }
        // An offered server_no_context_takeover must be in the accepting response (§7.1.1.1).
        if self.server_no_context_takeover && !params.server_no_context_takeover {
            return None;
        }
        // We asked for it, so we keep to it whatever the server said.
        params.client_no_context_takeover |= self.client_no_context_takeover;
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
            c: Compress::new(Compression::new(params.level.min(9)), false),
            reset_each_message: params.no_context_takeover(role),
        }
    }

    /// Appends the compressed form of `data` to `out`. Each piece ends on a sync flush so
    /// the receiver can inflate it at once; the last one of a message loses the flush's
    /// four-octet tail (§7.2.1).
    pub(crate) fn compress(&mut self, data: &[u8], fin: bool, out: &mut Vec<u8>) {
        let mut input = data;
        loop {
            // Room for the worst case in one call (DEFLATE's fixed codes spend up to nine
            // bits on a byte; stored blocks add five bytes per block, plus the flush):
            // miniz_oxide loses bytes when a sync flush of stored blocks has to stop for
            // output space and is called again.
            out.reserve(input.len() + input.len() / 8 + 64);
            let before = self.c.total_in();
            // miniz_oxide's compressor has no failure mode on a valid stream; should it
            // report one, what it wrote so far is still well formed up to the flush.
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
            if out.ends_with(&TAIL) {
                out.truncate(out.len() - TAIL.len());
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
            d: Decompress::new(false),
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

    #[test]
    fn server_negotiation() {
        let cfg = DeflateConfig::default();
        let (p, r) = cfg
            .accept_offer(&offers("permessage-deflate; client_max_window_bits"))
            .unwrap();
        assert_eq!(r, "permessage-deflate");
        assert_eq!(p.client_max_window_bits, 15);
        let (p, r) = cfg
            .accept_offer(&offers(
                "permessage-deflate; client_max_window_bits=10; server_no_context_takeover; client_no_context_takeover",
            ))
            .unwrap();
        assert_eq!(
            r,
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits=10"
        );
        assert!(p.server_no_context_takeover && p.client_no_context_takeover);
        assert_eq!(p.client_max_window_bits, 10);
        // Declined: a window we cannot compress with, then an unknown parameter, then a
        // repeat, then bad values; the next acceptable offer wins.
        assert_eq!(
            cfg.accept_offer(&offers("permessage-deflate; server_max_window_bits=10")),
            None
        );
        assert_eq!(cfg.accept_offer(&offers("permessage-deflate; foo")), None);
        assert_eq!(
            cfg.accept_offer(&offers(
                "permessage-deflate; server_no_context_takeover; server_no_context_takeover"
            )),
            None
        );
        for v in ["7", "16", "010", "", "x"] {
            let o = format!("permessage-deflate; client_max_window_bits=\"{v}\"");
            if let Some(list) = parse_extensions(&o) {
                assert_eq!(cfg.accept_offer(&list), None, "{v}");
            }
        }
        let (_, r) = cfg
            .accept_offer(&offers(
                "permessage-deflate; server_max_window_bits=9, permessage-deflate; server_max_window_bits=15",
            ))
            .unwrap();
        assert_eq!(r, "permessage-deflate");
    }

    #[test]
    fn client_checks_the_response() {
        let cfg = DeflateConfig {
            server_no_context_takeover: true,
            ..DeflateConfig::default()
        };
        assert_eq!(
            cfg.offer(),
            "permessage-deflate; server_no_context_takeover"
        );
        let ok =
            &offers("permessage-deflate; server_no_context_takeover; server_max_window_bits=12")[0];
        let p = cfg.accept_response(ok).unwrap();
        assert_eq!(p.server_max_window_bits, 12);
        for bad in [
            "permessage-deflate",
            "permessage-deflate; server_no_context_takeover; client_max_window_bits=10",
            "permessage-deflate; server_no_context_takeover; x",
        ] {
            assert_eq!(cfg.accept_response(&offers(bad)[0]), None, "{bad}");
        }
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
