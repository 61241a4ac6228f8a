//! Incremental UTF-8 validation (RFC 6455 §8.1): a text message is refused at the first
//! byte that cannot be part of valid UTF-8, even in the middle of a frame, not only once the
//! message is complete. The checking itself is std's; this only carries an incomplete
//! character (at most three bytes) from one piece to the next.

/// What a piece of a text message did to the validator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Invalid;

#[derive(Debug, Default, Clone)]
pub(crate) struct Utf8Validator {
    partial: [u8; 4],
    partial_len: usize,
}

impl Utf8Validator {
    /// Checks the next piece. Bytes that may still begin a valid character are kept.
    pub(crate) fn feed(&mut self, mut input: &[u8]) -> Result<(), Invalid> {
        // Complete a character left over from the previous piece, one byte at a time, so
        // that an invalid continuation is caught on the byte that makes it invalid.
        while self.partial_len > 0 {
            let Some((&b, rest)) = input.split_first() else {
                return Ok(());
            };
            self.partial[self.partial_len] = b;
            self.partial_len += 1;
            input = rest;
            match std::str::from_utf8(&self.partial[..self.partial_len]) {
                Ok(_) => self.partial_len = 0,
                Err(e) if e.error_len().is_some() => return Err(Invalid),
                Err(_) => {}
            }
        }
        match std::str::from_utf8(input) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_some() => Err(Invalid),
            Err(e) => {
                let tail = &input[e.valid_up_to()..];
                self.partial[..tail.len()].copy_from_slice(tail);
                self.partial_len = tail.len();
                Ok(())
            }
        }
    }

    /// The message has ended: an incomplete character is an error.
    pub(crate) fn finish(&mut self) -> Result<(), Invalid> {
        let complete = self.partial_len == 0;
        self.partial_len = 0;
        if complete { Ok(()) } else { Err(Invalid) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_split_of_valid_text_passes() {
        let text = "κόσμε 🦀 héllo".as_bytes();
        for cut in 0..=text.len() {
            let mut v = Utf8Validator::default();
            v.feed(&text[..cut]).unwrap();
            v.feed(&text[cut..]).unwrap();
            v.finish().unwrap();
        }
    }

    #[test]
    fn fails_at_the_first_bad_byte_without_waiting_for_the_rest() {
        // Autobahn 6.4.1: the fourth byte of U+110000 is out of range.
        let mut v = Utf8Validator::default();
        v.feed(b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5")
            .unwrap();
        assert_eq!(v.feed(b"\xf4\x90"), Err(Invalid));
    }

    #[test]
    fn a_bad_continuation_across_pieces_fails() {
        let mut v = Utf8Validator::default();
        v.feed(b"\xe2\x82").unwrap();
        assert_eq!(v.feed(b"A"), Err(Invalid));
    }

    #[test]
    fn a_truncated_character_fails_at_the_end() {
        let mut v = Utf8Validator::default();
        v.feed(b"ok\xf0\x9f").unwrap();
        assert_eq!(v.finish(), Err(Invalid));
    }
}
