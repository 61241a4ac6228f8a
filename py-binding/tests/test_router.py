"""weft.Router: the Rust trie seen from Python."""

import pytest

import weft


def test_static_param_and_catch_all():
    router = weft.Router()
    router.insert("/users/{id}", "user")
    router.insert("/users/me", "me")
    router.insert("/static/{*path}", "static")
    router.insert("/", "root")

    m = router.at("/users/42")
    assert m.value == "user"
    assert m.params == {"id": "42"}
    assert router.at("/users/me").value == "me"
    assert router.at("/users/me").params == {}
    m = router.at("/static/css/site.css")
    assert (m.value, m.params) == ("static", {"path": "css/site.css"})
    assert router.at("/").value == "root"
    assert "user" in repr(router.at("/users/1"))


def test_values_are_any_object():
    handler = object()
    router = weft.Router()
    router.insert("/h", handler)
    assert router.at("/h").value is handler


def test_not_found_raises_match_error():
    router = weft.Router()
    router.insert("/a", 1)
    with pytest.raises(weft.MatchError):
        router.at("/b")
    with pytest.raises(weft.WeftError):
        router.at("/a/b")


def test_conflict_raises_insert_error():
    router = weft.Router()
    router.insert("/users/{id}", 1)
    with pytest.raises(weft.InsertError):
        router.insert("/users/{id}", 2)
    with pytest.raises(weft.InsertError):
        router.insert("/users/{name}", 3)
    assert router.at("/users/7").value == 1


def test_remove():
    router = weft.Router()
    router.insert("/a/{x}", "ax")
    assert router.remove("/a/{x}") == "ax"
    assert router.remove("/a/{x}") is None
    with pytest.raises(weft.MatchError):
        router.at("/a/1")
    router.insert("/a/{y}", "ay")
    assert router.at("/a/1").params == {"y": "1"}


def test_many_routes():
    router = weft.Router()
    for i in range(500):
        router.insert(f"/r{i}/{{id}}/items/{{item}}", i)
    for i in range(0, 500, 37):
        m = router.at(f"/r{i}/abc/items/{i * 2}")
        assert m.value == i
        assert m.params == {"id": "abc", "item": str(i * 2)}
