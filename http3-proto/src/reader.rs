//! Splits the bytes of one stream into frames (RFC 9114 §7.1) as they arrive, in any
//! pieces. The caller decides per frame whether its payload is held whole (a field
//! section, a SETTINGS frame), handed on as it comes (DATA) or skipped (unknown types),
//! so no frame is ever held longer than the caller allowed.

use bytes::{Buf, Bytes, BytesMut};

use crate::frame::{FrameHeader, MAX_HEADER_LEN};

/// What the reader found next in the input.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Piece {
    /// A frame begins: call [`FrameReader::hold`], [`FrameReader::pass`] or
    /// [`FrameReader::skip`] before reading on.
    Start(FrameHeader),
    /// A held frame is complete.
    Frame { ty: u64, payload: Bytes },
    /// Part of a passed-on payload, a slice of the input.
    Chunk(Bytes),
}

#[derive(Debug, Default)]
enum State {
    /// Between frames; `FrameReader::header` holds a frame header begun in earlier input.
    #[default]
    Header,
    /// A frame header was returned and the caller has not decided yet.
    Undecided(FrameHeader),
    Hold {
        ty: u64,
        remaining: u64,
    },
    Pass {
        remaining: u64,
    },
    Skip {
        remaining: u64,
    },
}

/// The framing state of one stream.
#[derive(Debug, Default)]
pub(crate) struct FrameReader {
    state: State,
    /// A frame header split across inputs (at most sixteen octets), or the payload of a
    /// held frame so far.
    buf: BytesMut,
}

impl FrameReader {
    /// Whether the stream may end here: between frames, nothing begun (RFC 9114 §7.1: a
    /// stream that ends inside a frame is an H3_FRAME_ERROR).
    pub(crate) fn at_boundary(&self) -> bool {
        matches!(self.state, State::Header) && self.buf.is_empty()
    }

    /// Holds the payload of the frame just started and returns it whole.
    pub(crate) fn hold(&mut self) {
        if let State::Undecided(h) = self.state {
            self.state = if h.len == 0 {
                State::Hold {
                    ty: h.ty,
                    remaining: 0,
                }
            } else {
                self.buf
                    .reserve(usize::try_from(h.len).unwrap_or(0).min(16 * 1024));
                State::Hold {
                    ty: h.ty,
                    remaining: h.len,
                }
            };
        }
    }

    /// Hands the payload of the frame just started on as it arrives.
    pub(crate) fn pass(&mut self) {
        if let State::Undecided(h) = self.state {
            self.state = State::Pass { remaining: h.len };
        }
    }

    /// Discards the payload of the frame just started.
    pub(crate) fn skip(&mut self) {
        if let State::Undecided(h) = self.state {
            self.state = State::Skip { remaining: h.len };
        }
    }

    /// The next piece of `input`, consuming what it covers; `None` when `input` is used
    /// up (or the caller still owes a decision on a started frame).
    pub(crate) fn next(&mut self, input: &mut Bytes) -> Option<Piece> {
        loop {
            match self.state {
                State::Undecided(_) => return None,
                State::Header => {
                    if input.is_empty() {
                        return None;
                    }
                    let before = self.buf.len();
                    let take = (MAX_HEADER_LEN - before).min(input.len());
                    self.buf.extend_from_slice(&input[..take]);
                    let Some((header, used)) = FrameHeader::decode(&self.buf) else {
                        input.advance(take);
                        return None;
                    };
                    input.advance(used - before);
                    self.buf.clear();
                    self.state = State::Undecided(header);
                    return Some(Piece::Start(header));
                }
                State::Hold { ty, remaining } => {
                    if remaining > 0 && input.is_empty() {
                        return None;
                    }
                    let n = usize::try_from(remaining)
                        .unwrap_or(usize::MAX)
                        .min(input.len());
                    let left = remaining - n as u64;
                    if left == 0 && self.buf.is_empty() {
                        // The whole payload is in this input: no copy.
                        self.state = State::Header;
                        return Some(Piece::Frame {
                            ty,
                            payload: input.split_to(n),
                        });
                    }
                    self.buf.extend_from_slice(&input[..n]);
                    input.advance(n);
                    if left > 0 {
                        self.state = State::Hold {
                            ty,
                            remaining: left,
                        };
                        return None;
                    }
                    self.state = State::Header;
                    return Some(Piece::Frame {
                        ty,
                        payload: self.buf.split().freeze(),
                    });
                }
                State::Pass { remaining } | State::Skip { remaining } if remaining == 0 => {
                    self.state = State::Header;
                }
                State::Pass { remaining } => {
                    if input.is_empty() {
                        return None;
                    }
                    let n = usize::try_from(remaining)
                        .unwrap_or(usize::MAX)
                        .min(input.len());
                    self.state = State::Pass {
                        remaining: remaining - n as u64,
                    };
                    return Some(Piece::Chunk(input.split_to(n)));
                }
                State::Skip { remaining } => {
                    if input.is_empty() {
                        return None;
                    }
                    let n = usize::try_from(remaining)
                        .unwrap_or(usize::MAX)
                        .min(input.len());
                    input.advance(n);
                    self.state = State::Skip {
                        remaining: remaining - n as u64,
                    };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::kind;

    /// Reads `wire` in pieces of `step` octets, holding HEADERS, passing DATA and
    /// skipping the rest, and returns what came out, chunks merged per frame.
    fn read(wire: &[u8], step: usize) -> Vec<(u64, Vec<u8>)> {
        let mut r = FrameReader::default();
        let mut out: Vec<(u64, Vec<u8>)> = Vec::new();
        for piece in wire.chunks(step) {
            let mut input = Bytes::copy_from_slice(piece);
            while let Some(p) = r.next(&mut input) {
                match p {
                    Piece::Start(h) => match h.ty {
                        kind::HEADERS => r.hold(),
                        kind::DATA => {
                            out.push((kind::DATA, Vec::new()));
                            r.pass();
                        }
                        _ => r.skip(),
                    },
                    Piece::Frame { ty, payload } => out.push((ty, payload.to_vec())),
                    Piece::Chunk(c) => out.last_mut().unwrap().1.extend_from_slice(&c),
                }
            }
        }
        assert!(r.at_boundary());
        out
    }

    #[test]
    fn any_split_gives_the_same_frames() {
        let mut wire = vec![0x01, 0x03, b'a', b'b', b'c'];
        wire.extend_from_slice(&[0x21, 0x02, 9, 9]); // a reserved type, skipped
        wire.extend_from_slice(&[0x00, 0x40, 0x05, 1, 2, 3, 4, 5]); // DATA, 2-octet length
        wire.extend_from_slice(&[0x00, 0x00]); // empty DATA
        wire.extend_from_slice(&[0x01, 0x00]); // empty HEADERS
        let want = vec![
            (kind::HEADERS, b"abc".to_vec()),
            (kind::DATA, vec![1, 2, 3, 4, 5]),
            (kind::DATA, vec![]),
            (kind::HEADERS, vec![]),
        ];
        for step in 1..=wire.len() {
            assert_eq!(read(&wire, step), want, "step {step}");
        }
    }

    #[test]
    fn a_split_header_is_not_a_boundary() {
        let mut r = FrameReader::default();
        let mut input = Bytes::from_static(&[0x00]);
        assert_eq!(r.next(&mut input), None);
        assert!(!r.at_boundary());
    }
}
