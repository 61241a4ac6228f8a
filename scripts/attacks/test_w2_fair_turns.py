"""Weakness 2: one connection must not hold the worker. Every connection loop
yields to the executor after a bounded amount of work, including HPACK decoding of
streams it refuses.

The attacker indexes one 4,000-octet field, then sends header blocks made of
nothing but references to it (RFC 7541 §6.1): 16 KiB of block decodes to about
64 MB of fields, over SETTINGS_MAX_HEADER_LIST_SIZE, so every stream is refused,
but the decoder must still read the whole block to keep its table in step.
"""
import threading
import time

import pytest

from h2raw import (Conn, END_HEADERS, END_STREAM, HEADERS, frame, header_frames,
                   indexed, literal_indexed, request_block)

pytestmark = pytest.mark.weakness2

ATTACK_SECONDS = 5


def test_weakness2_expensive_header_blocks_leave_the_probe_fast(server, probe):
    s = server()
    big = literal_indexed(b"x-big", b"b" * 4000)
    # Index 62 is the newest dynamic-table entry: the 4,000-octet field.
    refs = request_block() + indexed(62) * (16000 - 20)
    stop = threading.Event()
    sent = {"blocks": 0, "connections": 0}

    def attack():
        while not stop.is_set():
            conn = Conn(s.addr, grant=True)
            sent["connections"] += 1
            if not conn.send(header_frames(1, request_block() + big)):
                conn.close()
                continue
            stream = 3
            while not stop.is_set():
                burst = b"".join(frame(HEADERS, END_HEADERS | END_STREAM, stream + 2 * i, refs)
                                 for i in range(16))
                stream += 32
                if not conn.send(burst):
                    break
                sent["blocks"] += 16
            conn.close()

    with probe(s) as p:
        attacker = threading.Thread(target=attack, daemon=True)
        attacker.start()
        time.sleep(ATTACK_SECONDS)
        stop.set()
        attacker.join(10)
    print(f"attacker: {sent['blocks']} expensive blocks over {sent['connections']} connection(s)")
    # The attack must have been real for the probe's figures to mean anything.
    assert sent["blocks"] >= 200, sent
    p.check(ATTACK_SECONDS)
