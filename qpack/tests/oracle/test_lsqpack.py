"""Two-way oracle: weft's QPACK against ls-qpack (through pylsqpack).

Every header list of the HPACK corpus's raw-data stories (one story, one
connection; one list, one request stream), encoded by weft, must decode in
ls-qpack to the same list, and ls-qpack's encoding must decode in weft. Each
direction runs at table capacities 0, 256, 4096 and 16384, with 0 and 100
blocked streams, and with the encoder stream delivered in order (before each
section) or out of order (held back over several sections and fed in random
pieces after them, so that sections arrive blocked and are resumed). The QIF
files that ship with ls-qpack (the QPACK offline-interop format) run the same
way when QIF_DIR names them.

weft runs in a child process, `examples/pipe.rs` (WEFT_QPACK_PIPE is its
path), spoken to line by line.
"""

import json
import os
import random
import subprocess
import tarfile
from pathlib import Path

import pylsqpack
import pytest

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "testdata" / "hpack-test-case.tar.xz"
CAPACITIES = [0, 256, 4096, 16384]
BLOCKED = [0, 100]


def load_raw_data():
    """The raw-data stories: a list of connections, each a list of header lists."""
    stories = []
    with tarfile.open(CORPUS, "r:xz") as archive:
        for member in archive:
            if "/raw-data/" in member.name and member.name.endswith(".json"):
                story = json.load(archive.extractfile(member))
                stories.append(
                    [
                        [
                            (name.encode(), value.encode())
                            for field in case["headers"]
                            for name, value in field.items()
                        ]
                        for case in story["cases"]
                    ]
                )
    assert len(stories) >= 30, f"{CORPUS} holds {len(stories)} raw-data stories"
    return stories


def load_qifs():
    """The header lists of each QIF file: tab-separated fields, blank lines
    between lists, `#` comments."""
    directory = os.environ.get("QIF_DIR")
    if not directory:
        return []
    files = sorted(Path(directory).glob("*.qif"))
    assert files, f"QIF_DIR={directory} holds no .qif file"
    stories = []
    for path in files:
        lists, current = [], []
        for line in path.read_bytes().split(b"\n"):
            if line.startswith(b"#"):
                continue
            if not line.strip():
                if current:
                    lists.append(current)
                    current = []
                continue
            name, _, value = line.partition(b"\t")
            current.append((name, value))
        if current:
            lists.append(current)
        stories.append(lists)
    return stories


STORIES = load_raw_data()
QIFS = load_qifs()


class Weft:
    """The child process that runs weft's encoder and decoder."""

    def __init__(self):
        self.process = subprocess.Popen(
            [os.environ["WEFT_QPACK_PIPE"]],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self, *words):
        self.process.stdin.write(" ".join(words) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline().rstrip("\n")
        assert answer, "the pipe ended"
        assert not answer.startswith("error"), f"{words[0]}: {answer}"
        return answer

    def close(self):
        self.process.stdin.close()
        assert self.process.wait(timeout=30) == 0


def hex_or_dash(data):
    return data.hex() if data else "-"


def from_hex(text):
    return b"" if text == "-" else bytes.fromhex(text)


def parse_fields(answer):
    words = answer.split(" ")
    assert words[0] == "fields", answer
    return [tuple(from_hex(part) for part in word.split(":")) for word in words[1:]]


def pieces(rng, data):
    """`data` cut at random points."""
    while data:
        cut = rng.randint(1, max(1, len(data)))
        yield data[:cut]
        data = data[cut:]


@pytest.fixture
def weft():
    process = Weft()
    yield process
    process.close()


def stories_for(which):
    return STORIES if which == "raw-data" else QIFS


SOURCES = ["raw-data"] + (["qif"] if os.environ.get("QIF_DIR") else [])


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("in_order", [True, False], ids=["in-order", "out-of-order"])
@pytest.mark.parametrize("blocked", BLOCKED)
@pytest.mark.parametrize("capacity", CAPACITIES)
def test_weft_encodes_lsqpack_decodes(weft, capacity, blocked, in_order, source):
    rng = random.Random(capacity * 1000 + blocked * 10 + in_order)
    total = 0
    blocked_sections = 0
    for story in stories_for(source):
        weft.ask("settings", str(capacity), str(blocked))
        decoder = pylsqpack.Decoder(capacity, blocked)
        held_back = b""
        waiting = {}
        for number, headers in enumerate(story):
            stream_id = 4 * number
            pairs = [f"{name.hex() or '-'}:{value.hex() or '-'}" for name, value in headers]
            section_hex, stream_hex = weft.ask("encode", str(stream_id), *pairs).split(" ")
            section, encoder_stream = from_hex(section_hex), from_hex(stream_hex)
            total += len(section) + len(encoder_stream)
            held_back += encoder_stream
            # Out of order: the encoder stream waits for a few sections, and
            # always lets the section go first.
            deliver_first = in_order or blocked == 0
            if deliver_first:
                decoder.feed_encoder(held_back)
                held_back = b""
            try:
                acks, decoded = decoder.feed_header(stream_id, section)
            except pylsqpack.StreamBlocked:
                waiting[stream_id] = headers
                blocked_sections += 1
            else:
                assert decoded == headers, f"stream {stream_id}"
                weft.ask("decoder_stream", hex_or_dash(acks))
            if held_back and (rng.random() < 0.3 or len(waiting) >= 90):
                for piece in pieces(rng, held_back):
                    for unblocked in decoder.feed_encoder(piece):
                        acks, decoded = decoder.resume_header(unblocked)
                        assert decoded == waiting.pop(unblocked), f"stream {unblocked}"
                        weft.ask("decoder_stream", hex_or_dash(acks))
                held_back = b""
        for unblocked in decoder.feed_encoder(held_back):
            acks, decoded = decoder.resume_header(unblocked)
            assert decoded == waiting.pop(unblocked)
            weft.ask("decoder_stream", hex_or_dash(acks))
        assert not waiting
    assert total > 0
    if not in_order and blocked and capacity >= 4096 and source == "raw-data":
        assert blocked_sections > 0, "out-of-order delivery never blocked a section"


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("in_order", [True, False], ids=["in-order", "out-of-order"])
@pytest.mark.parametrize("blocked", BLOCKED)
@pytest.mark.parametrize("capacity", CAPACITIES)
def test_lsqpack_encodes_weft_decodes(weft, capacity, blocked, in_order, source):
    rng = random.Random(capacity * 1000 + blocked * 10 + in_order + 1)
    for story in stories_for(source):
        weft.ask("settings", str(capacity), str(blocked))
        encoder = pylsqpack.Encoder()
        held_back = encoder.apply_settings(capacity, blocked)
        waiting = {}
        dynamic_references = 0
        blocked_sections = 0
        for number, headers in enumerate(story):
            stream_id = 4 * number
            encoder_stream, section = encoder.encode(stream_id, headers)
            dynamic_references += section[0] != 0
            held_back += encoder_stream
            if in_order or blocked == 0:
                weft.ask("encoder_stream", hex_or_dash(held_back))
                held_back = b""
            answer = weft.ask("decode", str(stream_id), section.hex())
            if answer == "blocked":
                waiting[stream_id] = headers
                blocked_sections += 1
            else:
                assert parse_fields(answer) == headers, f"stream {stream_id}"
            if held_back and (rng.random() < 0.3 or len(waiting) >= 90):
                for piece in pieces(rng, held_back):
                    unblocked = weft.ask("encoder_stream", piece.hex()).split(" ")[1:]
                    for stream in unblocked:
                        fields = parse_fields(weft.ask("resume", stream))
                        assert fields == waiting.pop(int(stream)), f"stream {stream}"
                held_back = b""
            encoder.feed_decoder(from_hex(weft.ask("poll")))
        for stream in weft.ask("encoder_stream", hex_or_dash(held_back)).split(" ")[1:]:
            assert parse_fields(weft.ask("resume", stream)) == waiting.pop(int(stream))
        assert not waiting
        encoder.feed_decoder(from_hex(weft.ask("poll")))
        if capacity >= 4096 and len(story) > 10:
            # ls-qpack did use the dynamic table, so weft's decoder was tried on it.
            assert dynamic_references > 0
            if not in_order and blocked:
                assert blocked_sections > 0, "out-of-order delivery never blocked a section"
