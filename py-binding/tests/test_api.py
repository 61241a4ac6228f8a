"""The public surface: docstrings everywhere, stubs that parse and name what exists."""

import ast
import inspect
from pathlib import Path

import pytest

import weft
from weft import hpack, http1, http2

PACKAGE = Path(weft.__file__).parent


def public(module):
    names = getattr(module, "__all__", [n for n in dir(module) if not n.startswith("_")])
    return [(n, getattr(module, n)) for n in names]


@pytest.mark.parametrize("module", [weft, hpack, http1, http2], ids=lambda m: m.__name__)
def test_every_public_class_and_function_has_a_docstring(module):
    missing = []
    for name, obj in public(module):
        if inspect.isclass(obj) or inspect.isfunction(obj) or inspect.isbuiltin(obj):
            if not (obj.__doc__ or "").strip():
                missing.append(name)
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if attr.startswith("_") or not callable(member):
                        continue
                    if not (getattr(member, "__doc__", "") or "").strip():
                        missing.append(f"{name}.{attr}")
    assert not missing, f"undocumented: {missing}"


@pytest.mark.parametrize("stub", ["_weft.pyi", "hpack.pyi", "http1.pyi", "http2.pyi"])
def test_stubs_parse_and_match_the_module(stub):
    tree = ast.parse((PACKAGE / stub).read_text())
    module = {"_weft.pyi": weft._weft, "hpack.pyi": hpack, "http1.pyi": http1, "http2.pyi": http2}[stub]
    declared = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
    for name in declared:
        assert hasattr(module, name), f"{stub} declares {name}, which {module.__name__} lacks"
    assert (PACKAGE / "py.typed").exists()
