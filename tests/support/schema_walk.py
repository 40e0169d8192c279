"""The schema as a client sees it (introspection): every field that takes arguments, how to
reach it from a root, and documents that call it with chosen argument values."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tests.support.servers import GraphQLClient

_TYPE_REF = "kind name " + "ofType { kind name " * 6 + "}" * 6  # deep enough for [[T!]!]!
ROOTS = "{ __schema { queryType { name } mutationType { name } types { name } } }"
# One type at a time: the whole schema in one document is past the cost limit.
TYPE = f"""query($name: String!) {{ __type(name: $name) {{ kind name enumValues {{ name }}
  fields {{ name args {{ name type {{ {_TYPE_REF} }} }} type {{ {_TYPE_REF} }} }}
  inputFields {{ name type {{ {_TYPE_REF} }} }} }} }}"""


def type_sdl(ref: dict[str, Any]) -> str:
    """A type reference as written in a variable definition, e.g. `[String!]!`."""
    if ref["kind"] == "NON_NULL":
        return type_sdl(ref["ofType"]) + "!"
    if ref["kind"] == "LIST":
        return f"[{type_sdl(ref['ofType'])}]"
    return str(ref["name"])


def named(ref: dict[str, Any]) -> str:
    """The named type inside any list and non-null wrappers."""
    while ref.get("ofType"):
        ref = ref["ofType"]
    return str(ref["name"])


def required(ref: dict[str, Any]) -> bool:
    """Whether a value must be given."""
    return ref["kind"] == "NON_NULL"


@dataclass(frozen=True)
class Step:
    """One field on the way from a root to the field under test, with its argument values."""

    field: str
    args: dict[str, tuple[str, Any]]  # name -> (type SDL, value)


class Schema:
    """An introspected schema, with a baseline value for every argument type."""

    def __init__(self, client: GraphQLClient, scalars: dict[str, Any]) -> None:
        found = client.data(ROOTS)["__schema"]
        self.query = found["queryType"]["name"]
        self.mutation = found["mutationType"]["name"]
        self.types = {
            t["name"]: client.data(TYPE, {"name": t["name"]})["__type"]
            for t in found["types"]
            if not t["name"].startswith("__")
        }
        self.scalars = scalars

    def fields(self, type_name: str) -> list[dict[str, Any]]:
        """The fields of an object type (none for other kinds)."""
        return list(self.types[type_name].get("fields") or [])

    def baseline(self, ref: dict[str, Any]) -> Any:
        """A plausible value of a type: scalars from `scalars`, required input fields filled."""
        if ref["kind"] == "NON_NULL":
            return self.baseline(ref["ofType"])
        if ref["kind"] == "LIST":
            return [self.baseline(ref["ofType"])]
        found = self.types[ref["name"]]
        if found["kind"] == "ENUM":
            return found["enumValues"][0]["name"]
        if found["kind"] == "INPUT_OBJECT":
            return {
                f["name"]: self.baseline(f["type"])
                for f in found["inputFields"]
                if required(f["type"])
            }
        return self.scalars.get(ref["name"])

    def step(self, field: dict[str, Any]) -> Step:
        """A call of `field` with baseline values for its required arguments."""
        args = {
            a["name"]: (type_sdl(a["type"]), self.baseline(a["type"]))
            for a in field["args"]
            if required(a["type"])
        }
        return Step(field["name"], args)

    def paths(self) -> dict[str, list[Step]]:
        """The shortest way from the query root to every object type reachable from it."""
        reached: dict[str, list[Step]] = {self.query: []}
        queue = deque([self.query])
        while queue:
            current = queue.popleft()
            for field in self.fields(current):
                target = named(field["type"])
                if self.types[target]["kind"] in ("OBJECT", "INTERFACE") and target not in reached:
                    reached[target] = [*reached[current], self.step(field)]
                    queue.append(target)
        return reached

    def fields_with_args(self) -> Iterator[tuple[str, dict[str, Any], list[Step]]]:
        """Every (type, field, path to the type) whose field takes arguments: the roots' and
        those of every object type a query reaches."""
        paths = self.paths()
        roots: dict[str, list[Step]] = {self.query: [], self.mutation: []}
        for type_name, path in {**paths, **roots}.items():
            for field in self.fields(type_name):
                if field["args"]:
                    yield type_name, field, path

    def selection(self, ref: dict[str, Any]) -> str:
        """A small selection of a field's result that resolves it (and counts a connection)."""
        found = self.types[named(ref)]
        if found["kind"] not in ("OBJECT", "INTERFACE", "UNION"):
            return ""
        names = {f["name"] for f in found.get("fields") or []}
        return "{ __typename" + (" totalCount" if "totalCount" in names else "") + " }"


def document(
    schema: Schema, root: str, path: list[Step], target: Step, selection: str
) -> tuple[str, dict[str, Any]]:
    """An operation calling `target` at the end of `path`, every argument a variable."""
    definitions: list[str] = []
    variables: dict[str, Any] = {}
    body = f"{target.field}{_arguments(target, 'v', definitions, variables)} {selection}"
    for depth, step in reversed(list(enumerate(path))):
        body = f"{step.field}{_arguments(step, f'p{depth}', definitions, variables)} {{ {body} }}"
    operation = "mutation" if root == schema.mutation else "query"
    header = f"({', '.join(definitions)})" if definitions else ""
    return f"{operation}{header} {{ {body} }}", variables


def _arguments(step: Step, prefix: str, definitions: list[str], variables: dict[str, Any]) -> str:
    if not step.args:
        return ""
    parts = []
    for name, (sdl, value) in step.args.items():
        variable = f"{prefix}_{name}"
        definitions.append(f"${variable}: {sdl}")
        variables[variable] = value
        parts.append(f"{name}: ${variable}")
    return f"({', '.join(parts)})"
