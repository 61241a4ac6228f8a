"""weft.http2 against python h2 as the peer, in memory."""

import random

import h2.config
import h2.connection
import h2.events
import pytest

from weft import http2

REQUEST = [(":method", "GET"), (":scheme", "https"), (":authority", "example.com"), (":path", "/index"), ("user-agent", "test")]


def h2_client():
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    return conn


def h2_server():
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
    conn.initiate_connection()
    return conn


def weft_server(**kw):
    conn = http2.Connection(http2.H2Configuration(client_side=False, **kw))
    conn.initiate_connection()
    return conn


def weft_client(**kw):
    conn = http2.Connection(http2.H2Configuration(client_side=True, **kw))
    conn.initiate_connection()
    return conn


def exchange(a, b, a_is_weft):
    """Moves bytes both ways until quiet; returns (events at a, events at b)."""
    got_a, got_b = [], []
    for _ in range(10):
        out_a = a.data_to_send()
        if out_a:
            got_b.extend(b.receive_data(out_a))
        out_b = b.data_to_send()
        if out_b:
            got_a.extend(a.receive_data(out_b))
        if not out_a and not out_b:
            break
    return got_a, got_b


def test_weft_server_h2_client_request_response():
    client = h2_client()
    server = weft_server()
    exchange(client, server, False)
    client.send_headers(1, REQUEST, end_stream=True)
    _, events = exchange(client, server, False)
    requests = [e for e in events if isinstance(e, http2.RequestReceived)]
    assert len(requests) == 1
    request = requests[0]
    assert request.stream_id == 1
    assert (b":path", b"/index") in request.headers
    assert (b"user-agent", b"test") in request.headers
    assert isinstance(request.stream_ended, http2.StreamEnded)
    assert any(isinstance(e, http2.StreamEnded) and e.stream_id == 1 for e in events)
    assert "RequestReceived" in repr(request)

    server.send_headers(1, [(":status", "200"), ("Content-Type", "text/plain")])
    server.send_data(1, b"hello ")
    server.send_data(1, b"world", end_stream=True)
    events, _ = exchange(client, server, False)
    response = [e for e in events if isinstance(e, h2.events.ResponseReceived)][0]
    assert (":status", "200") in response.headers
    assert ("content-type", "text/plain") in response.headers
    body = b"".join(e.data for e in events if isinstance(e, h2.events.DataReceived))
    assert body == b"hello world"
    assert any(isinstance(e, h2.events.StreamEnded) for e in events)


def test_weft_client_h2_server_with_body_and_trailers():
    client = weft_client(header_encoding="utf-8")
    server = h2_server()
    exchange(client, server, True)
    sid = client.get_next_available_stream_id()
    assert sid == 1
    client.send_headers(sid, [(":method", "POST"), (":scheme", "http"), (":authority", "a"), (":path", "/up")])
    client.send_data(sid, b"x" * 1000)
    client.end_stream(sid)
    _, events = exchange(client, server, True)
    data = b"".join(e.data for e in events if isinstance(e, h2.events.DataReceived))
    assert data == b"x" * 1000
    server.send_headers(sid, [(":status", "201")])
    server.send_data(sid, b"ok")
    server.send_headers(sid, [("grpc-status", "0")], end_stream=True)
    events, _ = exchange(client, server, True)
    kinds = [type(e).__name__ for e in events]
    assert "ResponseReceived" in kinds and "DataReceived" in kinds and "TrailersReceived" in kinds
    response = [e for e in events if isinstance(e, http2.ResponseReceived)][0]
    assert (":status", "201") in response.headers
    trailers = [e for e in events if isinstance(e, http2.TrailersReceived)][0]
    assert trailers.headers == [("grpc-status", "0")]
    data = [e for e in events if isinstance(e, http2.DataReceived)][0]
    assert data.data == b"ok" and data.flow_controlled_length == 2
    client.acknowledge_received_data(data.flow_controlled_length, sid)
    assert client.get_next_available_stream_id() == 3


def test_many_streams_and_large_bodies():
    client = h2_client()
    server = weft_server()
    exchange(client, server, False)
    for sid in range(1, 40, 2):
        client.send_headers(sid, REQUEST[:3] + [(":path", f"/{sid}")], end_stream=True)
    _, events = exchange(client, server, False)
    sids = sorted(e.stream_id for e in events if isinstance(e, http2.RequestReceived))
    assert sids == list(range(1, 40, 2))
    payload = bytes(random.Random(1).randrange(256) for _ in range(60000))
    for sid in sids:
        server.send_headers(sid, [(":status", "200")])
        window = server.local_flow_control_window(sid)
        assert window > 0
    # The client's connection window (65535) is shared: send what fits, then wait for
    # WINDOW_UPDATE, as an h2 server would.
    received = {}
    pending = {sid: payload for sid in sids}
    server_events = []
    for _ in range(200):
        for sid in list(pending):
            window = server.local_flow_control_window(sid)
            if window == 0:
                with pytest.raises(http2.FlowControlError):
                    server.send_data(sid, pending[sid][:1])
                continue
            chunk, rest = pending[sid][:window], pending[sid][window:]
            server.send_data(sid, chunk, end_stream=not rest)
            if rest:
                pending[sid] = rest
            else:
                del pending[sid]
        events = client.receive_data(server.data_to_send())
        for e in events:
            if isinstance(e, h2.events.DataReceived):
                received[e.stream_id] = received.get(e.stream_id, b"") + e.data
                client.acknowledge_received_data(e.flow_controlled_length, e.stream_id)
        server_events.extend(server.receive_data(client.data_to_send()))
        if not pending:
            break
    assert not pending
    assert all(received[sid] == payload for sid in sids)
    # Streams that ran out of window were told when capacity came back.
    assert any(isinstance(e, http2.WindowUpdated) for e in server_events)


def test_flow_control_error_when_data_exceeds_window():
    client = h2_client()
    server = weft_server()
    exchange(client, server, False)
    client.send_headers(1, REQUEST, end_stream=True)
    exchange(client, server, False)
    server.send_headers(1, [(":status", "200")])
    window = server.local_flow_control_window(1)
    with pytest.raises(http2.FlowControlError) as info:
        server.send_data(1, b"z" * (window + 1))
    assert info.value.error_code == http2.ErrorCodes.FLOW_CONTROL_ERROR


def test_reset_ping_and_goaway():
    client = h2_client()
    server = weft_server()
    exchange(client, server, False)
    client.send_headers(1, REQUEST, end_stream=False)
    exchange(client, server, False)
    client.reset_stream(1, error_code=8)
    _, events = exchange(client, server, False)
    reset = [e for e in events if isinstance(e, http2.StreamReset)]
    assert reset and reset[0].error_code == 8 and reset[0].remote_reset is True
    with pytest.raises(http2.StreamClosedError):
        server.send_data(1, b"late")

    server.ping(b"12345678")
    events, server_events = exchange(client, server, False)
    assert any(isinstance(e, h2.events.PingReceived) for e in events)
    assert any(isinstance(e, http2.PingAckReceived) and e.ping_data == b"12345678" for e in server_events)

    # An error close is immediate: one GOAWAY.
    server.close_connection(error_code=2, additional_data=b"bye")
    events, _ = exchange(client, server, False)
    terminated = [e for e in events if isinstance(e, h2.events.ConnectionTerminated)]
    assert terminated and terminated[0].error_code == 2 and terminated[0].additional_data == b"bye"
    assert server.is_closed


def test_graceful_close_between_weft_peers():
    # A NO_ERROR close from a server is graceful (RFC 9113 §6.8): GOAWAY with the
    # largest id and a PING, then the final GOAWAY once the PING returns. (python h2
    # treats any frame after a GOAWAY as an error, so this runs weft against weft.)
    client = weft_client()
    server = weft_server()
    exchange(client, server, True)
    sid = client.get_next_available_stream_id()
    client.send_headers(sid, REQUEST, end_stream=True)
    exchange(client, server, True)
    server.close_connection()
    events, _ = exchange(client, server, True)
    assert any(isinstance(e, http2.ConnectionTerminated) and e.error_code == 0 for e in events)
    # The stream accepted before the GOAWAY can still be answered.
    server.send_headers(sid, [(":status", "200")], end_stream=True)
    events, _ = exchange(client, server, True)
    assert any(isinstance(e, http2.ResponseReceived) for e in events)


def test_peer_goaway_is_an_event():
    client = h2_client()
    server = weft_server()
    exchange(client, server, False)
    client.close_connection(error_code=11, additional_data=b"calm")
    _, events = exchange(client, server, False)
    terminated = [e for e in events if isinstance(e, http2.ConnectionTerminated)]
    assert terminated and terminated[0].error_code == 11


def test_server_push():
    client = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    client.initiate_connection()
    client.update_settings({h2.settings.SettingCodes.ENABLE_PUSH: 1})
    server = weft_server()
    exchange(client, server, False)
    client.send_headers(1, REQUEST, end_stream=True)
    exchange(client, server, False)
    promised = server.get_next_available_stream_id()
    assert promised == 2
    server.push_stream(1, promised, [(":method", "GET"), (":scheme", "https"), (":authority", "example.com"), (":path", "/style.css")])
    server.send_headers(promised, [(":status", "200")])
    server.send_data(promised, b"css", end_stream=True)
    server.send_headers(1, [(":status", "200")], end_stream=True)
    events, _ = exchange(client, server, False)
    pushed = [e for e in events if isinstance(e, h2.events.PushedStreamReceived)]
    assert pushed and pushed[0].pushed_stream_id == 2 and pushed[0].parent_stream_id == 1


def test_protocol_errors_raise_with_error_code():
    server = weft_server()
    with pytest.raises(http2.ProtocolError) as info:
        server.receive_data(b"GET / HTTP/1.1\r\n\r\n" + b"x" * 40)
    assert info.value.error_code == http2.ErrorCodes.PROTOCOL_ERROR
    assert isinstance(info.value, http2.H2Error)
    # The GOAWAY is queued for the peer.
    assert server.data_to_send()

    # A DATA frame on stream 0 is a connection error (RFC 9113 §6.1).
    client = h2_client()
    server = weft_server()
    exchange(client, server, False)
    with pytest.raises(http2.ProtocolError) as info:
        server.receive_data(b"\x00\x00\x01\x00\x00\x00\x00\x00\x00x")
    assert info.value.error_code == http2.ErrorCodes.PROTOCOL_ERROR

    with pytest.raises(http2.NoSuchStreamError):
        weft_server().send_data(5, b"x")
    with pytest.raises(ValueError):
        weft_server().ping(b"short")


def test_data_to_send_amount():
    server = weft_server()
    first = server.data_to_send(3)
    rest = server.data_to_send()
    assert len(first) == 3 and len(rest) > 0
    assert server.data_to_send() == b""


def test_garbage_never_crashes():
    rng = random.Random(5)
    client = h2_client()
    preface = client.data_to_send()
    for _ in range(1500):
        server = weft_server()
        data = preface + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 80)))
        try:
            server.receive_data(data)
            server.data_to_send()
        except http2.ProtocolError as e:
            assert 0 <= e.error_code <= 0xD


def test_sent_data_must_add_up_to_the_declared_content_length():
    # RFC 9113 §8.1.1: what the peer would reject as malformed is refused locally.
    client, server = h2_client(), weft_server()
    client.send_headers(1, REQUEST, end_stream=True)
    server.receive_data(client.data_to_send())
    server.send_headers(1, [(":status", "200"), ("content-length", "5")])
    with pytest.raises(http2.ProtocolError):
        server.send_data(1, b"123456")
    with pytest.raises(http2.ProtocolError):
        server.send_data(1, b"1234", end_stream=True)
    server.send_data(1, b"12345", end_stream=True)
    events = client.receive_data(server.data_to_send())
    body = b"".join(e.data for e in events if isinstance(e, h2.events.DataReceived))
    assert body == b"12345"
    assert any(isinstance(e, h2.events.StreamEnded) for e in events)


def test_outbound_fields_are_normalized_then_checked_as_h2_does():
    client, server = h2_client(), weft_server()
    client.send_headers(1, REQUEST, end_stream=True)
    server.receive_data(client.data_to_send())
    # CR or LF inside a value, or a status that is not three digits, never goes out.
    for bad in ([(":status", "200"), ("x-a", "a\r\nx-injected: 1")], [(":status", "42")], [(":status", "200"), ("x-a", "a\x00")]):
        with pytest.raises(http2.ProtocolError):
            server.send_headers(1, bad)
    # Names lower-cased, whitespace around values stripped: h2's normalize_outbound_headers.
    server.send_headers(1, [(":status", "200"), ("X-Padded", " value\t")], end_stream=True)
    events = client.receive_data(server.data_to_send())
    (response,) = [e for e in events if isinstance(e, h2.events.ResponseReceived)]
    assert ("x-padded", "value") in response.headers
