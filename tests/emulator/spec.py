"""Request bodies checked against Discord's own OpenAPI description (``openapi.json``).

:class:`OpenApiSpec` finds the spec route a request hits and validates its JSON body (for
``multipart/form-data``, the ``payload_json`` part) with a JSON Schema validator, the way
Discord checks a form body. :class:`FormErrors` collects what is wrong as Discord's error
tree, so a failure answers exactly as Discord does::

    400 {"code": 50035, "message": "Invalid Form Body",
         "errors": {"embeds": {"0": {"title": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH",
                                                              "message": "Must be 256 or fewer in length."}]}}}}}

Two readings of the spec follow its README: ``anyOf`` and ``oneOf`` both list the shapes a
value may take (a value matching two overlapping shapes, like an empty list of autocomplete
choices, is accepted), and an integer field also takes the integer as a string, a snowflake
string field also takes the snowflake as an integer (discord.py sends attachment ids as ints).
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

# ../shared/discord-api-spec/openapi.json beside the repository, or DISCORD_API_SPEC.
SPEC_PATH = Path(os.environ.get("DISCORD_API_SPEC") or Path(__file__).resolve().parents[2].parent
                 / "shared" / "discord-api-spec" / "openapi.json")
SPEC_URI = "urn:discord-api-spec"
METHODS = ("get", "put", "post", "patch", "delete")
INTEGER_STRING = re.compile(r"^-?[0-9]+$")

FormPath = tuple[str | int, ...]


class FormErrors:
    """Discord's error tree for 400 50035, built one field at a time."""

    def __init__(self) -> None:
        self.items: list[tuple[FormPath, str, str]] = []

    def add(self, path: Iterable[str | int], code: str, message: str) -> None:
        item = (tuple(path), code, message)
        if item not in self.items:
            self.items.append(item)

    def extend(self, other: FormErrors, prefix: FormPath = ()) -> None:
        for path, code, message in other.items:
            self.add((*prefix, *path), code, message)

    def __bool__(self) -> bool:
        return bool(self.items)

    def tree(self) -> dict[str, Any]:
        root: dict[str, Any] = {}
        for path, code, message in self.items:
            node = root
            for key in path:
                node = node.setdefault(str(key), {})
            node.setdefault("_errors", []).append({"code": code, "message": message})
        return root

    def body(self) -> dict[str, Any]:
        return {"code": 50035, "message": "Invalid Form Body", "errors": self.tree()}

    def __repr__(self) -> str:
        return "; ".join(f"{'.'.join(map(str, p)) or '<root>'}: {m}" for p, _, m in self.items)


def _loosen(node: Any) -> Any:
    """The spec as Discord applies it: unions list allowed shapes, snowflakes take ints."""
    if isinstance(node, list):
        return [_loosen(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {("anyOf" if key == "oneOf" else key): _loosen(value) for key, value in node.items()}
    if out.get("format") == "snowflake" and out.get("type") == "string":
        return {"anyOf": [out, {"type": "integer", "minimum": 0}]}
    return out


def _is_integer(checker: Any, instance: Any) -> bool:
    if isinstance(instance, str):
        return bool(INTEGER_STRING.match(instance))
    return jsonschema.Draft202012Validator.TYPE_CHECKER.is_type(instance, "integer")


Validator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer),
)


def _pointer(*parts: str) -> str:
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def _message(error: ValidationError) -> tuple[str, str]:
    """Discord's code and message for one schema failure."""
    kind, limit = error.validator, error.validator_value
    if kind in ("maxLength", "maxItems"):
        return "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."
    if kind in ("minLength", "minItems"):
        return "BASE_TYPE_MIN_LENGTH", f"Must be {limit} or more in length."
    if kind == "required":
        return "BASE_TYPE_REQUIRED", "This field is required"
    if kind in ("maximum", "minimum"):
        return "NUMBER_TYPE_MAX" if kind == "maximum" else "NUMBER_TYPE_MIN", error.message
    if kind in ("enum", "const"):
        return "ENUM_TYPE_COERCE", f"Value \"{error.instance}\" is not a valid enum value."
    if kind == "type":
        return "BASE_TYPE_INVALID", f"Value must be of type {limit}."
    return "INVALID_FORM_BODY", error.message


class OpenApiSpec:
    """Discord's routes and request schemas, loaded once from ``openapi.json``."""

    def __init__(self, path: Path = SPEC_PATH) -> None:
        self.document = _loosen(json.loads(path.read_text()))
        self.registry = Registry().with_resource(
            SPEC_URI, Resource.from_contents(self.document, default_specification=DRAFT202012))
        self.routes: list[tuple[re.Pattern[str], str]] = []
        for template in self.document["paths"]:
            pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
            self.routes.append((re.compile(f"^{pattern}$"), template))
        # A literal segment beats a parameter: /messages/@original before /messages/{id}.
        self.routes.sort(key=lambda item: -sum(not s.startswith("{") for s in item[1].split("/")))
        self._validators: dict[tuple[str, str, str], Any] = {}

    def route(self, method: str, path: str) -> str | None:
        """The spec path template ``method path`` hits (None: Discord has no such route)."""
        for pattern, template in self.routes:
            if pattern.match(path) and method.lower() in self.document["paths"][template]:
                return template
        return None

    def _validator(self, template: str, method: str, content_type: str) -> Any:
        key = (template, method, content_type)
        if key not in self._validators:
            operation = self.document["paths"][template][method]
            content = operation.get("requestBody", {}).get("content", {})
            if content_type not in content:
                content_type = next(iter(content), content_type)
            if content_type not in content:
                self._validators[key] = None
            else:
                ref = SPEC_URI + _pointer("paths", template, method, "requestBody", "content",
                                          content_type, "schema")
                self._validators[key] = Validator({"$ref": ref}, registry=self.registry)
        return self._validators[key]

    def validate(self, method: str, path: str, body: Any, content_type: str) -> FormErrors:
        """What is wrong with ``body`` for ``method path`` (empty: it is valid)."""
        errors = FormErrors()
        template = self.route(method, path)
        if template is None or body is None:
            return errors
        validator = self._validator(template, method.lower(), content_type)
        if validator is None:
            return errors
        for error in validator.iter_errors(body):
            for leaf in _leaves(error):
                errors.add(leaf.absolute_path, *_message(leaf))
        return errors


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    """The concrete failures under a union (``anyOf``): those of the shape the value meant.

    A branch whose ``type`` discriminator (or JSON type) does not match is not what the
    value meant; of the others, the one with the fewest failures is.
    """
    if not error.context:
        yield error
        return
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)

    def mismatch(sub: ValidationError) -> bool:
        where = list(sub.relative_path)
        return ((sub.validator == "type" and not where)
                or (sub.validator in ("enum", "const") and where == ["type"]))

    chosen = min(branches.values(), key=lambda subs: (any(map(mismatch, subs)), len(subs)))
    if any(map(mismatch, chosen)):  # no shape fits: one error for the discriminator
        chosen = [next(filter(mismatch, chosen))]
    for sub in chosen:
        yield from _leaves(sub)


@functools.cache
def discord_spec() -> OpenApiSpec:
    """The spec, parsed once per process (it is 1.2 MB)."""
    return OpenApiSpec()


@functools.cache
def available_locales() -> frozenset[str]:
    """Discord's locale codes (the spec's ``AvailableLocalesEnum``): the keys a command's
    ``name_localizations`` and ``description_localizations`` take."""
    schema = discord_spec().document["components"]["schemas"]["AvailableLocalesEnum"]
    return frozenset(shape["const"] for shape in schema.get("anyOf") or schema.get("oneOf") or [])
