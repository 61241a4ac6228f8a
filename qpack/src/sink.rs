//! Where a decoded field section goes: a [`FieldSink`] that sees each field
//! line borrowed, or the list of owned [`Header`]s built on it.

use bytes::{Bytes, BytesMut};

use crate::Header;

/// Receives the fields of a section, in order, from
/// [`Decoder::decode_with`](crate::Decoder::decode_with).
///
/// Each [`Field`] borrows from the section, the dynamic table or the
/// decoder's scratch buffer for the length of the call: a sink that only
/// looks at the fields (validates them, copies them into its own buffer,
/// hashes them) costs no allocation and no reference count per field. The
/// fields of a section that fails to decode may have reached the sink before
/// the error: discard them.
///
/// Closures taking a [`Field`] are sinks.
pub trait FieldSink {
    /// One field line of the section (RFC 9204 §4.5.2 to §4.5.6).
    fn field(&mut self, field: Field<'_>);
}

impl<F: FnMut(Field<'_>)> FieldSink for F {
    fn field(&mut self, field: Field<'_>) {
        self(field);
    }
}

/// One decoded field line, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct Field<'a> {
    name: Piece<'a>,
    value: Piece<'a>,
    sensitive: bool,
}

impl<'a> Field<'a> {
    pub(crate) fn new(name: Piece<'a>, value: Piece<'a>, sensitive: bool) -> Self {
        Self {
            name,
            value,
            sensitive,
        }
    }

    /// The field name, as it arrived: QPACK does not check its case or its
    /// characters (that is HTTP/3's rule, RFC 9114 §4.2).
    #[inline]
    pub fn name(&self) -> &'a [u8] {
        self.name.bytes
    }

    /// The field value.
    #[inline]
    pub fn value(&self) -> &'a [u8] {
        self.value.bytes
    }

    /// Whether the field arrived as a never-indexed literal (the N bit,
    /// RFC 9204 §4.5.4): an intermediary must forward it the same way.
    #[inline]
    pub fn is_sensitive(&self) -> bool {
        self.sensitive
    }

    /// The size the field counts for in a field section: name + value + 32
    /// (RFC 9204 §3.2.1, RFC 9114 §4.2.2).
    #[inline]
    pub fn size(&self) -> usize {
        crate::table::entry_size(self.name.bytes.len(), self.value.bytes.len())
    }

    /// The field as an owned [`Header`]: static-table strings and slices of
    /// reference-counted buffers (the section, a table entry) are shared;
    /// Huffman-decoded strings are copied into `arena`, which many fields
    /// share one allocation of.
    #[inline(always)]
    pub(crate) fn to_header(self, arena: &mut BytesMut) -> Header {
        Header {
            name: self.name.to_bytes(arena),
            value: self.value.to_bytes(arena),
            sensitive: self.sensitive,
        }
    }
}

/// A name or value, with what owns its bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Piece<'a> {
    bytes: &'a [u8],
    owner: Owner<'a>,
}

#[derive(Debug, Clone, Copy)]
enum Owner<'a> {
    Static(&'static [u8]),
    /// A buffer `bytes` is all of: a table entry's name or value.
    Whole(&'a Bytes),
    /// A buffer `bytes` is a slice of: the section.
    Within(&'a Bytes),
    /// Scratch space the decoder reuses.
    Scratch,
}

/// How much room [`Piece::to_bytes`] reserves in the arena at a time.
const ARENA_CHUNK: usize = 4096;

impl<'a> Piece<'a> {
    pub(crate) fn from_static(bytes: &'static [u8]) -> Self {
        Self {
            bytes,
            owner: Owner::Static(bytes),
        }
    }

    pub(crate) fn entry(bytes: &'a Bytes) -> Self {
        Self {
            bytes,
            owner: Owner::Whole(bytes),
        }
    }

    /// `bytes` must lie within `owner`.
    pub(crate) fn within(owner: &'a Bytes, bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            owner: Owner::Within(owner),
        }
    }

    pub(crate) fn scratch(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            owner: Owner::Scratch,
        }
    }

    #[inline(always)]
    fn to_bytes(self, arena: &mut BytesMut) -> Bytes {
        match self.owner {
            Owner::Static(bytes) => Bytes::from_static(bytes),
            Owner::Whole(owner) => owner.clone(),
            Owner::Within(owner) => owner.slice_ref(self.bytes),
            Owner::Scratch => {
                if arena.capacity() - arena.len() < self.bytes.len() {
                    arena.reserve(self.bytes.len().max(ARENA_CHUNK));
                }
                arena.extend_from_slice(self.bytes);
                arena.split().freeze()
            }
        }
    }
}

/// The sink behind [`Decoder::decode`](crate::Decoder::decode): every field
/// as an owned [`Header`].
pub(crate) struct HeaderList<'a> {
    pub(crate) fields: Vec<Header>,
    pub(crate) arena: &'a mut BytesMut,
}

impl FieldSink for HeaderList<'_> {
    #[inline(always)]
    fn field(&mut self, field: Field<'_>) {
        self.fields.push(field.to_header(self.arena));
    }
}
