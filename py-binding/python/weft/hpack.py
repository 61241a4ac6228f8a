"""HPACK (RFC 7541) header compression, with the ``hpack`` package's names.

``Encoder().encode(headers, huffman=True) -> bytes`` and
``Decoder(max_header_list_size=65536).decode(data, raw=False) -> list`` work like their
``hpack`` counterparts; the codec is the Rust ``hpack`` crate.
"""

from ._weft import hpack as _native

Encoder = _native.Encoder
Decoder = _native.Decoder
HPACKError = _native.HPACKError
HPACKDecodingError = _native.HPACKDecodingError
InvalidTableIndexError = _native.InvalidTableIndexError
InvalidTableIndex = _native.InvalidTableIndexError
OversizedHeaderListError = _native.OversizedHeaderListError
InvalidTableSizeError = _native.InvalidTableSizeError


class HeaderTuple(tuple):
    """A ``(name, value)`` header field that may be added to the dynamic table."""

    __slots__ = ()
    indexable = True

    def __new__(cls, *args):
        return tuple.__new__(cls, args)


class NeverIndexedHeaderTuple(HeaderTuple):
    """A sensitive ``(name, value)`` field: encoded as never-indexed (RFC 7541 §6.2.3)."""

    __slots__ = ()
    indexable = False


__all__ = [
    "Encoder",
    "Decoder",
    "HeaderTuple",
    "NeverIndexedHeaderTuple",
    "HPACKError",
    "HPACKDecodingError",
    "InvalidTableIndexError",
    "InvalidTableIndex",
    "OversizedHeaderListError",
    "InvalidTableSizeError",
]
