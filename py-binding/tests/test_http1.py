"""weft.http1 against h11 as the peer, in memory."""

import random

import h11
import pytest

import weft
from weft import http1


def h11_events(conn):
    """Every event h11 has ready, up to NEED_DATA / PAUSED."""
    out = []
    while True:
        event = conn.next_event()
        if event in (h11.NEED_DATA, h11.PAUSED):
            return out
        out.append(event)


def weft_events(conn):
    out = []
    while True:
        event = conn.next_event()
        if event is http1.NEED_DATA or event is http1.PAUSED:
            return out
        out.append(event)


def test_sentinels_are_shared_and_named():
    assert http1.SERVER is weft.SERVER
    assert repr(http1.NEED_DATA) == "NEED_DATA"
    assert http1.NEED_DATA is not http1.PAUSED
    import copy
    import pickle

    assert copy.deepcopy(http1.DONE) is http1.DONE
    assert pickle.loads(pickle.dumps(weft.SERVER)) is weft.SERVER


def test_weft_server_h11_client_keep_alive_cycles():
    client = h11.Connection(h11.CLIENT)
    server = http1.Connection(weft.SERVER)
    assert server.our_state is http1.IDLE

    wire = client.send(
        h11.Request(method="GET", target="/a?b=1", headers=[("Host", "example.com"), ("X-Thing", "Yes")])
    )
    wire += client.send(h11.EndOfMessage())
    server.receive_data(wire)
    events = weft_events(server)
    assert events == [
        http1.Request(
            method=b"GET",
            target=b"/a?b=1",
            headers=[(b"host", b"example.com"), (b"x-thing", b"Yes")],
            http_version=b"1.1",
        ),
        http1.EndOfMessage(),
    ]
    request = events[0]
    assert request.method == b"GET" and request.target == b"/a?b=1"
    assert server.their_http_version == b"1.1"
    assert server.our_state is http1.SEND_RESPONSE
    assert server.their_state is http1.DONE

    out = server.send(http1.Response(status_code=200, headers=[("Content-Length", "5"), ("X-Reply", "1")]))
    out += server.send(http1.Data(data=b"hello"))
    out += server.send(http1.EndOfMessage())
    assert server.our_state is http1.DONE
    client.receive_data(out)
    got = h11_events(client)
    assert isinstance(got[0], h11.Response) and got[0].status_code == 200
    assert (b"x-reply", b"1") in list(got[0].headers)
    assert b"".join(bytes(e.data) for e in got if isinstance(e, h11.Data)) == b"hello"
    assert isinstance(got[-1], h11.EndOfMessage)

    client.start_next_cycle()
    server.start_next_cycle()
    assert server.states == {weft.SERVER: http1.IDLE, weft.CLIENT: http1.IDLE}

    # Second cycle: chunked request body, response without Content-Length (chunked).
    body = [b"abc", b"defgh", b"x" * 3000]
    wire = client.send(h11.Request(method="POST", target="/up", headers=[("Host", "e"), ("Transfer-Encoding", "chunked")]))
    for part in body:
        wire += client.send(h11.Data(data=part))
    wire += client.send(h11.EndOfMessage(headers=[("X-Trailer", "t")]))
    server.receive_data(wire)
    events = weft_events(server)
    assert events[0].method == b"POST"
    assert b"".join(e.data for e in events if isinstance(e, http1.Data)) == b"".join(body)
    assert events[-1] == http1.EndOfMessage(headers=[(b"x-trailer", b"t")])

    out = server.send(http1.Response(status_code=201, headers=[]))
    out += server.send(http1.Data(data=b"part1,"))
    out += server.send(http1.Data(data=b"part2"))
    out += server.send(http1.EndOfMessage())
    client.receive_data(out)
    got = h11_events(client)
    assert got[0].status_code == 201
    assert b"".join(bytes(e.data) for e in got if isinstance(e, h11.Data)) == b"part1,part2"


def test_weft_client_h11_server():
    client = http1.Connection(weft.CLIENT)
    server = h11.Connection(h11.SERVER)
    wire = client.send(http1.Request(method="PUT", target="/x", headers=[("Host", "h"), ("Content-Length", "4")]))
    wire += client.send(http1.Data(data=b"body"))
    wire += client.send(http1.EndOfMessage())
    assert client.our_state is http1.DONE
    server.receive_data(wire)
    got = h11_events(server)
    assert got[0].method == b"PUT" and got[0].target == b"/x"
    assert bytes(got[1].data) == b"body"

    out = server.send(h11.InformationalResponse(status_code=103, headers=[("Link", "</s.css>")]))
    out += server.send(h11.Response(status_code=404, headers=[("Content-Length", "2")], reason="Nope"))
    out += server.send(h11.Data(data=b"no"))
    out += server.send(h11.EndOfMessage())
    client.receive_data(out)
    events = weft_events(client)
    assert isinstance(events[0], http1.InformationalResponse) and events[0].status_code == 103
    assert events[1] == http1.Response(status_code=404, headers=[(b"content-length", b"2")], reason=b"Nope")
    assert events[2] == http1.Data(data=b"no")
    assert events[3] == http1.EndOfMessage()


def test_pipelined_requests_pause_until_next_cycle():
    server = http1.Connection(weft.SERVER)
    server.receive_data(b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n")
    assert server.next_event().target == b"/1"
    assert isinstance(server.next_event(), http1.EndOfMessage)
    assert server.next_event() is http1.PAUSED
    server.send(http1.Response(status_code=204, headers=[]))
    server.send(http1.EndOfMessage())
    server.start_next_cycle()
    assert server.next_event().target == b"/2"


def test_any_split_gives_the_same_events():
    wire = (
        b"POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n"
    )
    rng = random.Random(3)
    for _ in range(50):
        server = http1.Connection(weft.SERVER)
        events = []
        i = 0
        while i < len(wire):
            j = min(len(wire), i + rng.randrange(1, 9))
            server.receive_data(wire[i:j])
            events.extend(weft_events(server))
            i = j
        assert events[0].target == b"/p"
        assert b"".join(e.data for e in events if isinstance(e, http1.Data)) == b"hello world"
        assert events[-1] == http1.EndOfMessage(headers=[(b"x-t", b"1")])


def test_eof_at_boundary_is_connection_closed():
    server = http1.Connection(weft.SERVER)
    server.receive_data(b"")
    assert server.next_event() == http1.ConnectionClosed()
    with pytest.raises(http1.LocalProtocolError):
        server.receive_data(b"more")


def test_http10_request_must_close():
    server = http1.Connection(weft.SERVER)
    server.receive_data(b"GET / HTTP/1.0\r\n\r\n")
    assert server.next_event().http_version == b"1.0"
    assert server.their_http_version == b"1.0"
    server.next_event()
    out = server.send(http1.Response(status_code=200, headers=[]))
    out += server.send(http1.Data(data=b"x"))
    out += server.send(http1.EndOfMessage())
    assert server.our_state is http1.MUST_CLOSE
    assert out.startswith(b"HTTP/1.1 200")


def test_expect_100_continue():
    server = http1.Connection(weft.SERVER)
    server.receive_data(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
    server.next_event()
    assert server.they_are_waiting_for_100_continue
    assert server.client_is_waiting_for_100_continue
    out = server.send(http1.InformationalResponse(status_code=100, headers=[]))
    assert out.startswith(b"HTTP/1.1 100")
    assert not server.they_are_waiting_for_100_continue


@pytest.mark.parametrize(
    "wire, hint",
    [
        (b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost a\r\n\r\n", 400),
        (b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
        (b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"a" * 20000 + b"\r\n\r\n", 431),
        (b"GET / HTTP/1.1\r\n\r\n", 400),
    ],
)
def test_bad_requests_raise_remote_protocol_error_with_hint(wire, hint):
    server = http1.Connection(weft.SERVER)
    server.receive_data(wire)
    with pytest.raises(http1.RemoteProtocolError) as info:
        weft_events(server)
    assert info.value.error_status_hint == hint
    assert isinstance(info.value, http1.ProtocolError)
    assert isinstance(info.value, weft.WeftError)
    assert server.their_state is http1.ERROR
    with pytest.raises(http1.RemoteProtocolError):
        server.next_event()


def test_max_incomplete_event_size():
    server = http1.Connection(weft.SERVER, max_incomplete_event_size=100)
    server.receive_data(b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"a" * 200)
    with pytest.raises(http1.RemoteProtocolError) as info:
        server.next_event()
    assert info.value.error_status_hint == 431


def test_local_protocol_errors():
    server = http1.Connection(weft.SERVER)
    with pytest.raises(http1.LocalProtocolError):
        server.send(http1.Data(data=b"x"))
    with pytest.raises(http1.LocalProtocolError):
        http1.Response(status_code=100, headers=[])
    with pytest.raises(http1.LocalProtocolError):
        server.start_next_cycle()
    with pytest.raises(TypeError):
        server.send("not an event")
    with pytest.raises(TypeError):
        http1.Connection("server")
    server.receive_data(b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n")
    weft_events(server)
    server.send(http1.Response(status_code=200, headers=[("Content-Length", "10")]))
    with pytest.raises(http1.LocalProtocolError):
        server.send(http1.Data(data=b"body on a HEAD response"))


def test_connection_closed_and_send_failed():
    server = http1.Connection(weft.SERVER)
    assert server.send(http1.ConnectionClosed()) is None
    assert server.our_state is http1.CLOSED
    other = http1.Connection(weft.SERVER)
    other.send_failed()
    assert other.our_state is http1.ERROR


def test_upgrade_trailing_data():
    server = http1.Connection(weft.SERVER)
    server.receive_data(
        b"GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\nRAWBYTES"
    )
    weft_events(server)
    server.send(http1.InformationalResponse(status_code=101, headers=[("Connection", "upgrade"), ("Upgrade", "websocket")]))
    assert server.our_state is http1.SWITCHED_PROTOCOL
    assert server.trailing_data == (b"RAWBYTES", False)


def test_garbage_never_crashes():
    rng = random.Random(11)
    alphabet = b"GET /HTP1.0\r\n:abcChunked-Length 0123456789\t"
    for _ in range(3000):
        conn = http1.Connection(weft.SERVER if rng.random() < 0.7 else weft.CLIENT)
        if conn.our_role is weft.CLIENT:
            conn.send(http1.Request(method="GET", target="/", headers=[("Host", "a")]))
            conn.send(http1.EndOfMessage())
        data = bytes(rng.choice(alphabet) for _ in range(rng.randrange(1, 120)))
        try:
            conn.receive_data(data)
            weft_events(conn)
            conn.receive_data(b"")
            weft_events(conn)
        except http1.RemoteProtocolError as e:
            assert 400 <= e.error_status_hint < 600
