"""A document of several operations runs only the one its request names.

strawberry falls back to the document's first operation when the request names none; the
GraphQL specification (and graphql-core) make that a request error instead, so that a client
never runs an operation it did not choose.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql.language import OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from cardgraph.errors import BadRequestError


class OperationChoice(SchemaExtension):
    """Refuse a document of several operations whose request gives no `operationName`."""

    def on_execute(self) -> Iterator[None]:
        """Before execution: nothing runs unless the operation to run is unambiguous."""
        context = self.execution_context
        document = context.graphql_document
        # strawberry keeps the name the request gave apart from the one it falls back to.
        named = context._provided_operation_name is not None
        if document is not None and not named:
            count = sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)
            if count > 1:
                raise BadRequestError(
                    f"the document has {count} operations: name the one to run in operationName"
                )
        yield
