"""Weakness 2: one connection must not hold the worker. Every connection loop
yields to the executor after a bounded amount of work, including HPACK decoding of
streams it refuses.

One attacking connection at a time (a new one when the server ends the last) sends
header blocks as fast as the socket takes them, while its reader drains every
answer; the probe's p99 must stay under 50 ms. Two kinds of block:

- expensive: the attacker indexes one 4,000-octet field, then sends blocks made of
  nothing but references to it (RFC 7541 §6.1): 16 KiB of block decodes to about
  64 MB of fields, over SETTINGS_MAX_HEADER_LIST_SIZE, so every stream is refused,
  but the decoder must still read the whole block to keep its table in step;
- valid: `GET /` requests of a few octets each, every one answered.
"""
import socket
import threading
import time

import pytest

from h2raw import (END_HEADERS, END_STREAM, HEADERS, PREFACE, SETTINGS_INITIAL_WINDOW_SIZE, frame,
                   header_frames, indexed, literal_indexed, request_block, settings_frame, window_update)

pytestmark = pytest.mark.weakness2

ATTACK_SECONDS = 5
MAX_WINDOW = 0x7FFFFFFF


def flood(s, first, block, reader):
    """Runs the attack for ATTACK_SECONDS on a thread; returns what it sent."""
    stop = threading.Event()
    sent = {"blocks": 0, "connections": 0}

    def drain(sock):
        # Reads and discards, at once ("fast") or 4 KiB every 5 ms ("slow", so the
        # server's answers back up and its writes wait).
        try:
            while sock.recv(1 << 20 if reader == "fast" else 4096):
                if reader == "slow":
                    time.sleep(0.005)
        except OSError:
            pass

    def attack():
        while not stop.is_set():
            sock = socket.create_connection((s.host, s.port))
            sent["connections"] += 1
            threading.Thread(target=drain, args=(sock,), daemon=True).start()
            # Windows wide open, so every answer can be sent at once; the server's
            # SETTINGS are acknowledged before any header block.
            setup = (PREFACE + settings_frame([(SETTINGS_INITIAL_WINDOW_SIZE, MAX_WINDOW)])
                     + window_update(0, MAX_WINDOW - 65535) + frame(0x4, 0x1, 0) + first)
            stream = 3
            try:
                sock.sendall(setup)
                while not stop.is_set():
                    burst = b"".join(frame(HEADERS, END_HEADERS | END_STREAM, stream + 2 * i, block)
                                     for i in range(16))
                    stream += 32
                    sock.sendall(burst)
                    sent["blocks"] += 16
            except OSError:
                pass
            sock.close()

    attacker = threading.Thread(target=attack, daemon=True)
    attacker.start()
    time.sleep(ATTACK_SECONDS)
    stop.set()
    attacker.join(10)
    print(f"attacker: {sent['blocks']} blocks over {sent['connections']} connection(s)")
    return sent


@pytest.mark.parametrize("reader", ["fast", "slow"])
def test_weakness2_expensive_header_blocks_leave_the_probe_fast(server, probe, reader):
    s = server()
    first = header_frames(1, request_block() + literal_indexed(b"x-big", b"b" * 4000))
    # Index 62 is the newest dynamic-table entry: the 4,000-octet field.
    refs = request_block() + indexed(62) * (16000 - 20)
    with probe(s) as p:
        sent = flood(s, first, refs, reader)
    # The attack must have been real for the probe's figures to mean anything.
    assert sent["blocks"] >= 200, sent
    p.check(ATTACK_SECONDS)


def test_weakness2_valid_request_flood_leaves_the_probe_fast(server, probe):
    s = server()
    with probe(s) as p:
        sent = flood(s, header_frames(1, request_block()), request_block(), "fast")
    assert sent["blocks"] >= 1000, sent
    p.check(ATTACK_SECONDS)
