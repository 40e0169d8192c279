"""The schema as introspection shows it: every root field, every argument, values for each.

Nothing here names a field: root fields, their arguments and the types of those arguments come
from introspection, so a field added tomorrow is fuzzed tomorrow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from hypothesis import strategies as st

from tests.support.fuzz_values import json_arguments, strings, uploads, wrong_values

# Four wrappers deep is enough for any type written so far ([[T!]!]! has three).
_TYPE_REF = "kind name ofType { " * 4 + "kind name" + " }" * 4
# Two documents: one would be over the cost limit the API puts on every operation.
INTROSPECTION = (
    "{ __schema { queryType { name } mutationType { name } subscriptionType { name } "
    f"types {{ kind name fields {{ name args {{ name type {{ {_TYPE_REF} }} }} "
    f"type {{ {_TYPE_REF} }} }} }} }} }}",
    f"{{ __schema {{ types {{ name inputFields {{ name type {{ {_TYPE_REF} }} }} "
    "enumValues { name } } } }",
)


def merged_introspection(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The results of the INTROSPECTION documents as one `__schema`."""
    schema = results[0]["__schema"]
    extra = {t["name"]: t for t in results[1]["__schema"]["types"]}
    for found in schema["types"]:
        found.update(extra[found["name"]])
    return {"__schema": schema}


# JSON output fields cost far more than others under the cost limit; as arguments they are
# fuzzed all the same.
_SKIPPED_OUTPUT_SCALARS = {"JSON"}


@dataclass(frozen=True)
class TypeRef:
    """A type as introspection spells it: NON_NULL and LIST around a named type."""

    kind: str
    name: str | None
    of: TypeRef | None

    @classmethod
    def parse(cls, data: dict[str, Any]) -> TypeRef:
        """From an introspected `__Type`."""
        inner = data.get("ofType")
        return cls(data["kind"], data.get("name"), cls.parse(inner) if inner else None)

    def sdl(self) -> str:
        """The type as written in a variable definition."""
        if self.of is None:
            assert self.name is not None
            return self.name
        return f"{self.of.sdl()}!" if self.kind == "NON_NULL" else f"[{self.of.sdl()}]"

    def named(self) -> str:
        """The name of the type inside the wrappers."""
        if self.of is not None:
            return self.of.named()
        assert self.name is not None
        return self.name


@dataclass(frozen=True)
class Field:
    """A field with its arguments; `operation` is set for root fields."""

    name: str
    args: tuple[tuple[str, TypeRef], ...]
    type: TypeRef
    operation: str = ""


@dataclass
class Call:
    """One field to call with its argument values, and fields with arguments below it."""

    field: Field
    values: dict[str, Any]
    children: list[Call] = field(default_factory=list)


class SchemaModel:
    """Root fields of the introspected schema and value strategies for any input type."""

    def __init__(self, introspection: dict[str, Any], known: list[str]) -> None:
        schema = introspection["__schema"]
        self.types: dict[str, dict[str, Any]] = {t["name"]: t for t in schema["types"]}
        self.roots: list[Field] = []
        for operation in ("query", "mutation", "subscription"):
            root = schema.get(f"{operation}Type")
            if root:
                self.roots += [_field(f, operation) for f in self.types[root["name"]]["fields"]]
        self._known = known
        self._strategies: dict[tuple[TypeRef, int], st.SearchStrategy[Any]] = {}

    def fields_of(self, ref: TypeRef) -> list[Field]:
        """Fields of an object type (none for scalars and enums)."""
        return [_field(f) for f in self.types[ref.named()].get("fields") or []]

    def is_leaf(self, ref: TypeRef) -> bool:
        """Whether values of the type are scalars or enums (no selection set)."""
        return bool(self.types[ref.named()]["kind"] in ("SCALAR", "ENUM"))

    def selection(self, ref: TypeRef) -> str:
        """`__typename` and every leaf field without arguments (nothing for leaf types)."""
        if self.is_leaf(ref):
            return ""
        leaves = [
            f.name
            for f in self.fields_of(ref)
            if not f.args and self.is_leaf(f.type) and f.type.named() not in _SKIPPED_OUTPUT_SCALARS
        ]
        return "{ " + " ".join(["__typename", *leaves]) + " }"

    def values(self, ref: TypeRef, depth: int = 0) -> st.SearchStrategy[Any]:
        """Values of the type: near its limits, odd, huge, injected; never of another type."""
        key = (ref, depth)
        if key not in self._strategies:  # built once: building is most of a draw's cost
            self._strategies[key] = self._values(ref, depth)
        return self._strategies[key]

    def _values(self, ref: TypeRef, depth: int) -> st.SearchStrategy[Any]:
        if ref.kind == "NON_NULL":
            assert ref.of is not None
            return self._non_null(ref.of, depth)
        return st.none() | self._non_null(ref, depth)

    def wrong(self, ref: TypeRef) -> st.SearchStrategy[Any]:
        """Values of other types (null too, for required ones)."""
        return st.none() | wrong_values if ref.kind == "NON_NULL" else wrong_values

    def _non_null(self, ref: TypeRef, depth: int) -> st.SearchStrategy[Any]:
        if ref.kind == "LIST":
            assert ref.of is not None
            item = self.values(ref.of, depth + 1)
            # A single value stands for a list of one (input coercion).
            return st.lists(item, max_size=3 if depth < 3 else 1) | item
        found = self.types[ref.named()]
        if found["kind"] == "ENUM":
            return st.sampled_from([v["name"] for v in found["enumValues"]])
        if found["kind"] == "INPUT_OBJECT":
            required: dict[str, st.SearchStrategy[Any]] = {}
            optional: dict[str, st.SearchStrategy[Any]] = {}
            for item in found["inputFields"]:
                item_type = TypeRef.parse(item["type"])
                if item_type.kind == "NON_NULL":
                    required[item["name"]] = self.values(item_type, depth + 1)
                elif depth < 6:  # deeper optional fields stay unset: input types may recurse
                    optional[item["name"]] = self.values(item_type, depth + 1)
            return st.fixed_dictionaries(required, optional=optional)
        return self._scalar(ref.named())

    def _scalar(self, name: str) -> st.SearchStrategy[Any]:
        if name in ("String", "ID"):
            return strings(self._known)
        if name == "Int":
            return st.integers(-(2**31), 2**31 - 1) | st.sampled_from([0, -1, 1, 100, 101])
        if name == "Float":
            return st.floats(allow_nan=False, allow_infinity=False)
        if name == "Boolean":
            return st.booleans()
        if name == "DateTime":
            moments = st.datetimes(timezones=st.none() | st.just(UTC))
            return moments.map(lambda moment: moment.isoformat())
        if name == "JSON":
            return json_arguments()
        if name == "Upload":
            return uploads
        return wrong_values  # a scalar added later: anything is worth a try


OMITTED = object()  # a declared variable given no value


@st.composite
def calls(draw: st.DrawFn, model: SchemaModel, operation: str, wrong: bool) -> Call:
    """One root field of `operation` with values for its arguments (one of the wrong type, or
    a required one left out, when `wrong`), and fields with arguments below it."""
    root = draw(st.sampled_from([f for f in model.roots if f.operation == operation]))
    call = Call(root, draw(_arguments(model, root, wrong)))
    below = [f for f in model.fields_of(root.type) if f.args] if operation != "subscription" else []
    for child in draw(st.lists(st.sampled_from(below), unique=True)) if below else []:
        call.children.append(Call(child, draw(_arguments(model, child, False))))
    return call


@st.composite
def _arguments(draw: st.DrawFn, model: SchemaModel, target: Field, wrong: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, ref in target.args:
        if ref.kind == "NON_NULL" or draw(st.booleans()):
            values[name] = draw(model.values(ref))
    if wrong and target.args:
        name, ref = draw(st.sampled_from(target.args))
        left_out = ref.kind == "NON_NULL" and draw(st.booleans())
        values[name] = OMITTED if left_out else draw(model.wrong(ref))
    return values


def _field(data: dict[str, Any], operation: str = "") -> Field:
    args = tuple((a["name"], TypeRef.parse(a["type"])) for a in data.get("args") or [])
    return Field(data["name"], args, TypeRef.parse(data["type"]), operation)


def document(model: SchemaModel, operation: str, calls: list[Call]) -> tuple[str, dict[str, Any]]:
    """One operation calling every field of `calls` (aliased), and its variables."""
    definitions: list[str] = []
    variables: dict[str, Any] = {}

    def invoke(call: Call, alias: str) -> str:
        arguments = []
        for name, ref in call.field.args:
            if name not in call.values:
                continue
            variable = f"{alias}_{name}"
            definitions.append(f"${variable}: {ref.sdl()}")
            arguments.append(f"{name}: ${variable}")
            if call.values[name] is not OMITTED:
                variables[variable] = call.values[name]
        inside = " ".join(invoke(c, f"{alias}_{i}") for i, c in enumerate(call.children))
        selected = model.selection(call.field.type)
        if inside:
            selected = selected[:-1] + inside + " }"
        given = f"({', '.join(arguments)})" if arguments else ""
        return f"{alias}: {call.field.name}{given} {selected}"

    body = " ".join(invoke(call, f"f{i}") for i, call in enumerate(calls))
    declared = f"({', '.join(definitions)})" if definitions else ""
    return f"{operation} Fuzz{declared} {{ {body} }}", variables
