"""GraphQL multipart requests (file uploads), checked strictly: anything off is BAD_REQUEST.

The spec (github.com/jaydenseric/graphql-multipart-request-spec): an `operations` field with
the operation's JSON, files as `null` placeholders; a `map` field naming, for each file part,
the placeholder paths it fills ("variables.file", "variables.files.0"); then the file parts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from cross_web import HTTPException
from starlette.datastructures import UploadFile

# Paths are object paths into the operation; batched operations are not served.
_ROOT = "variables"


def operations_with_files(
    form: Mapping[str, Any], parse_json: Callable[[str], dict[str, Any]]
) -> dict[str, Any]:
    """The operation of a multipart request with its files put in place, or HTTP 400."""
    operations = parse_json(_text_field(form, "operations"))
    files_map = parse_json(_text_field(form, "map"))
    referenced: set[str] = set()
    for name, paths in files_map.items():
        upload = form.get(name)
        if not isinstance(upload, UploadFile):
            raise _bad(f"`map` names {name!r}, which is not a file part of the request")
        if not isinstance(paths, list) or not paths or not all(isinstance(p, str) for p in paths):
            raise _bad(f"`map` must give file {name!r} a non-empty list of paths")
        for path in paths:
            _put(operations, path, upload)
        referenced.add(name)
    for name, value in form.items():
        if isinstance(value, UploadFile) and name not in referenced:
            raise _bad(f"file part {name!r} is not named in `map`")
    return operations


def _text_field(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    if not isinstance(value, str):
        raise _bad(f"a multipart request needs an `{name}` text field")
    return value


def _put(operations: dict[str, Any], path: str, upload: UploadFile) -> None:
    """Put a file where `path` points; the place must hold a `null` placeholder."""
    keys = path.split(".")
    if keys[0] != _ROOT or len(keys) < 2:
        raise _bad(f"`map` path {path!r} must point into `variables`")
    target: Any = operations
    for depth, key in enumerate(keys):
        last = depth == len(keys) - 1
        if isinstance(target, dict) and key in target:
            if last:
                _fill(target, key, path, upload)
            target = target[key]
        elif isinstance(target, list) and key.isdecimal() and int(key) < len(target):
            if last:
                _fill(target, int(key), path, upload)
            target = target[int(key)]
        else:
            raise _bad(f"`map` path {path!r} names no placeholder in the operation's variables")


def _fill(container: Any, key: str | int, path: str, upload: UploadFile) -> None:
    if container[key] is not None:
        raise _bad(f"`map` path {path!r} must point at a null placeholder")
    container[key] = upload


def _bad(reason: str) -> HTTPException:
    return HTTPException(400, reason)
