"""The schema's root fields as the server itself reports them, and one request for each.

Fields are found by introspection, so a field added tomorrow is attacked by the access
tests without anyone writing its name down; `MINIMUM_ROLE` must then name it, or they fail.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from cardgraph.principals import Role

# The role each root field needs. A field missing here fails the access suite: decide it.
MINIMUM_ROLE: dict[str, Role] = {
    "Query.card": Role.READER,
    "Query.cards": Role.READER,
    "Query.job": Role.READER,
    "Query.jobs": Role.READER,
    "Query.modelPackage": Role.READER,
    "Query.modelPackages": Role.READER,
    "Query.auditEvents": Role.APPROVER,
    "Query.verifyCard": Role.READER,
    "Query.signingKey": Role.READER,
    "Query.retiredSigningKeys": Role.READER,
    "Query.versionDiff": Role.READER,
    "Query.apiKeys": Role.ADMIN,
    "Query.viewer": Role.READER,
    "Mutation.createCard": Role.EDITOR,
    "Mutation.updateCardContent": Role.EDITOR,
    "Mutation.setCardStatus": Role.EDITOR,
    "Mutation.updateCard": Role.EDITOR,
    "Mutation.deleteCard": Role.ADMIN,
    "Mutation.cancelJob": Role.EDITOR,
    "Mutation.exportCardPdf": Role.EDITOR,
    "Mutation.exportCards": Role.EDITOR,
    "Mutation.ingestMetrics": Role.EDITOR,
    "Mutation.ingestMetricsFile": Role.EDITOR,
    "Mutation.autopopulateCard": Role.EDITOR,
    "Mutation.linkModelPackage": Role.EDITOR,
    "Mutation.syncModelPackages": Role.EDITOR,
    "Mutation.createApiKey": Role.ADMIN,
    "Mutation.revokeApiKey": Role.ADMIN,
    "Subscription.jobProgress": Role.READER,
    "Subscription.cardEvents": Role.READER,
}

# Optional arguments given anyway, so that an allowed call touches nothing of other tests'.
ARGUMENTS: dict[str, dict[str, Any]] = {
    "Mutation.exportCards": {"filter": {"nameContains": "no-such-card-anywhere"}},
    "Mutation.syncModelPackages": {"groupName": "no-such-group-anywhere"},
}

INTROSPECTION = """
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType {
  kind name ofType { kind name } } } } }
query Roots {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types {
      kind name
      enumValues { name }
      inputFields { name defaultValue type { ...TypeRef } }
      fields { name args { name defaultValue type { ...TypeRef } } type { ...TypeRef } }
    }
  }
}
"""


@dataclass(frozen=True)
class RootField:
    """One root field and a well-typed request for it."""

    root: str  # Query, Mutation or Subscription
    name: str
    document: str
    variables: dict[str, Any]
    needs_upload: bool  # takes a file, which only a multipart request can carry

    @property
    def key(self) -> str:
        """`Type.field`, as in MINIMUM_ROLE."""
        return f"{self.root}.{self.name}"

    @property
    def operation(self) -> str:
        """The operation keyword of the document."""
        return {"Query": "query", "Mutation": "mutation", "Subscription": "subscription"}[self.root]


def root_fields(introspection: dict[str, Any]) -> list[RootField]:
    """Every root field of an introspection result, with a request for each."""
    schema = introspection["__schema"]
    types = {t["name"]: t for t in schema["types"]}
    found = []
    for kind in ("queryType", "mutationType", "subscriptionType"):
        if schema[kind] is None:
            continue
        root = schema[kind]["name"]
        for field in types[root]["fields"]:
            found.append(_request(root, field, types))
    return found


def _request(root: str, field: dict[str, Any], types: dict[str, Any]) -> RootField:
    given = ARGUMENTS.get(f"{root}.{field['name']}", {})
    declarations, arguments, variables = [], [], {}
    needs_upload = False
    for arg in field["args"]:
        if arg["name"] not in given and (
            arg["type"]["kind"] != "NON_NULL" or arg["defaultValue"] is not None
        ):
            continue
        declarations.append(f"${arg['name']}: {_type_text(arg['type'])}")
        arguments.append(f"{arg['name']}: ${arg['name']}")
        value = given.get(arg["name"], _value(arg["type"], types))
        needs_upload = needs_upload or _mentions(arg["type"], "Upload", types)
        variables[arg["name"]] = value
    operation = {"Query": "query", "Mutation": "mutation", "Subscription": "subscription"}[root]
    head = f"{operation} Probe({', '.join(declarations)})" if declarations else operation
    call = f"{field['name']}({', '.join(arguments)})" if arguments else field["name"]
    selection = (
        " { __typename }"
        if _named(field["type"])["kind"] != "SCALAR" and _named(field["type"])["kind"] != "ENUM"
        else ""
    )
    return RootField(
        root, field["name"], f"{head} {{ {call}{selection} }}", variables, needs_upload
    )


def _named(ref: dict[str, Any]) -> dict[str, Any]:
    while ref["kind"] in ("NON_NULL", "LIST"):
        ref = ref["ofType"]
    return ref


def _type_text(ref: dict[str, Any]) -> str:
    if ref["kind"] == "NON_NULL":
        return f"{_type_text(ref['ofType'])}!"
    if ref["kind"] == "LIST":
        return f"[{_type_text(ref['ofType'])}]"
    return str(ref["name"])


def _mentions(ref: dict[str, Any], scalar: str, types: dict[str, Any]) -> bool:
    named = _named(ref)
    if named["name"] == scalar:
        return True
    if named["kind"] == "INPUT_OBJECT":
        return any(
            _mentions(f["type"], scalar, types)
            for f in types[named["name"]]["inputFields"]
            if f["type"]["kind"] == "NON_NULL"
        )
    return False


def _value(ref: dict[str, Any], types: dict[str, Any]) -> Any:
    """A well-typed value naming nothing that exists (so an allowed call changes little)."""
    if ref["kind"] == "NON_NULL":
        return _value(ref["ofType"], types)
    if ref["kind"] == "LIST":
        return [_value(ref["ofType"], types)]
    name, kind = ref["name"], ref["kind"]
    if kind == "ENUM":
        return types[name]["enumValues"][0]["name"]
    if kind == "INPUT_OBJECT":
        return {
            f["name"]: _value(f["type"], types)
            for f in types[name]["inputFields"]
            if f["type"]["kind"] == "NON_NULL" and f["defaultValue"] is None
        }
    return {
        "Int": 1,
        "Float": 1.0,
        "Boolean": True,
        "JSON": {},
        "DateTime": "2026-01-01T00:00:00+00:00",
        "Upload": None,
    }.get(name, f"acc-{uuid.uuid4().hex[:12]}")
