//! The static table (RFC 9204 Appendix A) and its lookup by name and value.

use hpack::{bytes_eq, hash};

/// The static table: `STATIC_TABLE[i]` is the (name, value) of index `i`
/// (RFC 9204 Appendix A). Unlike HPACK's, entries sharing a name are not all
/// adjacent.
pub const STATIC: [(&[u8], &[u8]); 99] = [
    (b":authority", b""),
    (b":path", b"/"),
    (b"age", b"0"),
    (b"content-disposition", b""),
    (b"content-length", b"0"),
    (b"cookie", b""),
    (b"date", b""),
    (b"etag", b""),
    (b"if-modified-since", b""),
    (b"if-none-match", b""),
    (b"last-modified", b""),
    (b"link", b""),
    (b"location", b""),
    (b"referer", b""),
    (b"set-cookie", b""),
    (b":method", b"CONNECT"),
    (b":method", b"DELETE"),
    (b":method", b"GET"),
    (b":method", b"HEAD"),
    (b":method", b"OPTIONS"),
    (b":method", b"POST"),
    (b":method", b"PUT"),
    (b":scheme", b"http"),
    (b":scheme", b"https"),
    (b":status", b"103"),
    (b":status", b"200"),
    (b":status", b"304"),
    (b":status", b"404"),
    (b":status", b"503"),
    (b"accept", b"*/*"),
    (b"accept", b"application/dns-message"),
    (b"accept-encoding", b"gzip, deflate, br"),
    (b"accept-ranges", b"bytes"),
    (b"access-control-allow-headers", b"cache-control"),
    (b"access-control-allow-headers", b"content-type"),
    (b"access-control-allow-origin", b"*"),
    (b"cache-control", b"max-age=0"),
    (b"cache-control", b"max-age=2592000"),
    (b"cache-control", b"max-age=604800"),
    (b"cache-control", b"no-cache"),
    (b"cache-control", b"no-store"),
    (b"cache-control", b"public, max-age=31536000"),
    (b"content-encoding", b"br"),
    (b"content-encoding", b"gzip"),
    (b"content-type", b"application/dns-message"),
    (b"content-type", b"application/javascript"),
    (b"content-type", b"application/json"),
    (b"content-type", b"application/x-www-form-urlencoded"),
    (b"content-type", b"image/gif"),
    (b"content-type", b"image/jpeg"),
    (b"content-type", b"image/png"),
    (b"content-type", b"text/css"),
    (b"content-type", b"text/html; charset=utf-8"),
    (b"content-type", b"text/plain"),
    (b"content-type", b"text/plain;charset=utf-8"),
    (b"range", b"bytes=0-"),
    (b"strict-transport-security", b"max-age=31536000"),
    (
        b"strict-transport-security",
        b"max-age=31536000; includesubdomains",
    ),
    (
        b"strict-transport-security",
        b"max-age=31536000; includesubdomains; preload",
    ),
    (b"vary", b"accept-encoding"),
    (b"vary", b"origin"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-xss-protection", b"1; mode=block"),
    (b":status", b"100"),
    (b":status", b"204"),
    (b":status", b"206"),
    (b":status", b"302"),
    (b":status", b"400"),
    (b":status", b"403"),
    (b":status", b"421"),
    (b":status", b"425"),
    (b":status", b"500"),
    (b"accept-language", b""),
    (b"access-control-allow-credentials", b"FALSE"),
    (b"access-control-allow-credentials", b"TRUE"),
    (b"access-control-allow-headers", b"*"),
    (b"access-control-allow-methods", b"get"),
    (b"access-control-allow-methods", b"get, post, options"),
    (b"access-control-allow-methods", b"options"),
    (b"access-control-expose-headers", b"content-length"),
    (b"access-control-request-headers", b"content-type"),
    (b"access-control-request-method", b"get"),
    (b"access-control-request-method", b"post"),
    (b"alt-svc", b"clear"),
    (b"authorization", b""),
    (
        b"content-security-policy",
        b"script-src 'none'; object-src 'none'; base-uri 'none'",
    ),
    (b"early-data", b"1"),
    (b"expect-ct", b""),
    (b"forwarded", b""),
    (b"if-range", b""),
    (b"origin", b""),
    (b"purpose", b"prefetch"),
    (b"server", b""),
    (b"timing-allow-origin", b"*"),
    (b"upgrade-insecure-requests", b"1"),
    (b"user-agent", b""),
    (b"x-forwarded-for", b""),
    (b"x-frame-options", b"deny"),
    (b"x-frame-options", b"sameorigin"),
];

/// Slots of each open-addressed index: a power of two well above the 99
/// entries, so probes are short.
const SLOTS: usize = 256;

/// The hash of a field's name, which seeds the hash of the whole field.
#[inline]
pub(crate) const fn name_hash(name: &[u8]) -> u64 {
    hash(0, name)
}

/// The hash of a whole field, chained from its name's hash.
#[inline]
pub(crate) const fn field_hash(name_hash: u64, value: &[u8]) -> u64 {
    hash(name_hash, value)
}

/// Index + 1 of each entry by field hash, and of the first entry with each
/// name by name hash (0 marks an empty slot). Built at compile time.
const BY_FIELD: [u8; SLOTS] = build(true);
const BY_NAME: [u8; SLOTS] = build(false);

const fn build(whole_field: bool) -> [u8; SLOTS] {
    let mut slots = [0u8; SLOTS];
    let mut index = 0;
    while index < STATIC.len() {
        let (name, value) = STATIC[index];
        let key = if whole_field {
            field_hash(name_hash(name), value)
        } else {
            name_hash(name)
        };
        let mut slot = (key % SLOTS as u64) as usize;
        let mut taken = false;
        while slots[slot] != 0 {
            // The lowest index with a name is the one kept: it is the
            // shortest to encode.
            if !whole_field && bytes_eq(STATIC[slots[slot] as usize - 1].0, name) {
                taken = true;
                break;
            }
            slot = (slot + 1) % SLOTS;
        }
        if !taken {
            slots[slot] = index as u8 + 1;
        }
        index += 1;
    }
    slots
}

/// A field's place in the static table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StaticMatch {
    /// The lowest index with this name.
    pub(crate) name: usize,
    /// The index with this name and value, if there is one.
    pub(crate) field: Option<usize>,
}

/// Finds a field in the static table by its hashes, checking the bytes.
#[inline]
pub(crate) fn find_static(
    name_hash: u64,
    field_hash: u64,
    name: &[u8],
    value: &[u8],
) -> Option<StaticMatch> {
    let name_index = probe(&BY_NAME, name_hash, |(entry_name, _)| entry_name == name)?;
    let field = probe(&BY_FIELD, field_hash, |entry| entry == (name, value));
    Some(StaticMatch {
        name: name_index,
        field,
    })
}

fn probe(slots: &[u8; SLOTS], key: u64, matches: impl Fn((&[u8], &[u8])) -> bool) -> Option<usize> {
    // Lossless: the remainder is below SLOTS.
    let mut slot = (key % SLOTS as u64) as usize;
    loop {
        let index = usize::from(*slots.get(slot)?).checked_sub(1)?;
        if matches(*STATIC.get(index)?) {
            return Some(index);
        }
        slot = (slot + 1) % SLOTS;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(name: &str, value: &str) -> Option<StaticMatch> {
        let name_hash = name_hash(name.as_bytes());
        find_static(
            name_hash,
            field_hash(name_hash, value.as_bytes()),
            name.as_bytes(),
            value.as_bytes(),
        )
    }

    #[test]
    fn every_entry_is_found_at_its_index() {
        for (index, (name, value)) in STATIC.iter().enumerate() {
            let found = find(
                std::str::from_utf8(name).unwrap(),
                std::str::from_utf8(value).unwrap(),
            )
            .unwrap();
            assert_eq!(found.field, Some(index));
            assert_eq!(STATIC[found.name].0, *name);
            assert!(found.name <= index);
        }
    }

    #[test]
    fn spot_checks_against_rfc_9204_appendix_a() {
        assert_eq!(
            find(":authority", ""),
            Some(StaticMatch {
                name: 0,
                field: Some(0)
            })
        );
        assert_eq!(find(":method", "GET").unwrap().field, Some(17));
        assert_eq!(find(":status", "200").unwrap().field, Some(25));
        // :status first appears at 24 and again from 63.
        assert_eq!(
            find(":status", "100"),
            Some(StaticMatch {
                name: 24,
                field: Some(63)
            })
        );
        assert_eq!(
            find(":status", "201"),
            Some(StaticMatch {
                name: 24,
                field: None
            })
        );
        assert_eq!(
            find("x-frame-options", "sameorigin").unwrap().field,
            Some(98)
        );
        assert_eq!(find("x-custom", "1"), None);
    }
}
