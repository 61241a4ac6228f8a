"""weft.hpack against the ``hpack`` package, in both directions."""

import random

import hpack
import pytest

import weft.hpack as whpack

REQUEST = [
    (":method", "GET"),
    (":scheme", "https"),
    (":path", "/index.html?q=1"),
    (":authority", "www.example.com"),
    ("user-agent", "Mozilla/5.0 (X11; Linux x86_64) weft-test"),
    ("accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"),
    ("accept-language", "en-GB,en;q=0.5"),
    ("accept-encoding", "gzip, deflate, br"),
    ("cookie", "session=0123456789abcdef; theme=dark"),
    ("x-custom", "\u00e9t\u00e9"),
]


def header_lists(seed, count=60):
    """Random header lists that share names and values, so the dynamic table is used."""
    rng = random.Random(seed)
    names = ["x-a", "x-bb", "content-type", "cache-control", "x-trace-id", "etag", "via"]
    values = ["v", "abcdef", "text/plain; charset=utf-8", "no-cache", "0" * 40, "", "W/\"1\""]
    lists = []
    for _ in range(count):
        fields = [(":status", rng.choice(["200", "404", "302"]))]
        for _ in range(rng.randrange(0, 12)):
            fields.append((rng.choice(names), rng.choice(values) + str(rng.randrange(4))))
        lists.append(fields)
    return lists


@pytest.mark.parametrize("huffman", [True, False])
def test_weft_encodes_hpack_decodes(huffman):
    encoder = whpack.Encoder()
    decoder = hpack.Decoder()
    for fields in [REQUEST] + header_lists(1):
        block = encoder.encode(fields, huffman=huffman)
        assert isinstance(block, bytes)
        assert decoder.decode(block) == fields


@pytest.mark.parametrize("huffman", [True, False])
def test_hpack_encodes_weft_decodes(huffman):
    encoder = hpack.Encoder()
    decoder = whpack.Decoder()
    for fields in [REQUEST] + header_lists(2):
        block = encoder.encode(fields, huffman=huffman)
        assert decoder.decode(block) == fields


def test_raw_returns_bytes():
    block = hpack.Encoder().encode(REQUEST)
    fields = whpack.Decoder().decode(block, raw=True)
    assert fields == [(n.encode(), v.encode()) for n, v in REQUEST]
    assert all(type(n) is bytes and type(v) is bytes for n, v in fields)


def test_accepts_dict_bytes_and_str():
    encoder = whpack.Encoder()
    decoder = hpack.Decoder()
    assert decoder.decode(encoder.encode({"a": "1", "b": "2"})) == [("a", "1"), ("b", "2")]
    assert decoder.decode(encoder.encode([(b"c", b"3"), ("d", b"4")])) == [("c", "3"), ("d", "4")]


def test_table_size_update_is_honoured_by_hpack():
    encoder = whpack.Encoder()
    decoder = hpack.Decoder()
    assert decoder.decode(encoder.encode(REQUEST)) == REQUEST
    encoder.header_table_size = 256
    assert encoder.header_table_size == 256
    block = encoder.encode(REQUEST)
    # RFC 7541 §6.3: the block starts with a dynamic table size update (001xxxxx).
    assert block[0] & 0xE0 == 0x20
    assert decoder.decode(block) == REQUEST
    assert decoder.header_table_size == 256
    for fields in header_lists(3):
        assert decoder.decode(encoder.encode(fields)) == fields


def test_sensitive_fields_are_never_indexed_both_ways():
    fields = [("authorization", "Bearer secret"), ("x-plain", "1")]
    # weft -> hpack: a 3-tuple with a true flag, and a NeverIndexedHeaderTuple.
    block = whpack.Encoder().encode([("authorization", "Bearer secret", True), ("x-plain", "1")])
    decoded = hpack.Decoder().decode(block)
    assert decoded == fields
    assert isinstance(decoded[0], hpack.NeverIndexedHeaderTuple)
    assert not isinstance(decoded[1], hpack.NeverIndexedHeaderTuple)
    block = whpack.Encoder().encode([whpack.NeverIndexedHeaderTuple("authorization", "Bearer secret")])
    assert isinstance(hpack.Decoder().decode(block)[0], hpack.NeverIndexedHeaderTuple)
    # hpack -> weft
    block = hpack.Encoder().encode([hpack.NeverIndexedHeaderTuple("authorization", "Bearer secret"), ("x-plain", "1")])
    decoded = whpack.Decoder().decode(block)
    assert decoded == fields
    assert isinstance(decoded[0], whpack.NeverIndexedHeaderTuple)
    assert not isinstance(decoded[1], whpack.NeverIndexedHeaderTuple)


def test_rfc7541_c3_first_request():
    # RFC 7541 Appendix C.3.1: first request, without Huffman coding.
    block = bytes.fromhex("828684410f7777772e6578616d706c652e636f6d")
    assert whpack.Decoder().decode(block) == [
        (":method", "GET"),
        (":scheme", "http"),
        (":path", "/"),
        (":authority", "www.example.com"),
    ]


def test_invalid_index_raises():
    # Indexed field 0x7f + overflow bytes pointing far past both tables.
    with pytest.raises(whpack.InvalidTableIndexError) as info:
        whpack.Decoder().decode(b"\xff\x80\x01")
    assert isinstance(info.value, whpack.HPACKDecodingError)
    assert isinstance(info.value, whpack.HPACKError)
    assert whpack.InvalidTableIndex is whpack.InvalidTableIndexError


def test_truncated_block_raises():
    block = hpack.Encoder().encode(REQUEST)
    with pytest.raises(whpack.HPACKDecodingError):
        whpack.Decoder().decode(block[:-3])


def test_oversized_header_list_raises():
    decoder = whpack.Decoder(max_header_list_size=100)
    assert decoder.max_header_list_size == 100
    with pytest.raises(whpack.OversizedHeaderListError):
        decoder.decode(hpack.Encoder().encode([("x-big", "v" * 200)]))


def test_table_size_update_too_large_raises():
    decoder = whpack.Decoder()
    decoder.max_allowed_table_size = 100
    assert decoder.max_allowed_table_size == 100
    # 0x3f 0xe1 0x1f: size update to 4096 (RFC 7541 §6.3), above the allowed 100.
    with pytest.raises(whpack.InvalidTableSizeError):
        decoder.decode(b"\x3f\xe1\x1f")


def test_bad_header_types_raise_type_error():
    encoder = whpack.Encoder()
    with pytest.raises(TypeError):
        encoder.encode([("a", 1)])
    with pytest.raises(TypeError):
        encoder.encode(["not a tuple"])
    with pytest.raises(TypeError):
        encoder.encode([("a", "b", True, 4)])


def test_garbage_never_crashes():
    rng = random.Random(7)
    for _ in range(2000):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))
        try:
            whpack.Decoder().decode(data, raw=True)
        except whpack.HPACKDecodingError:
            pass
