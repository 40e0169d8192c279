"""Limits checked before the expensive steps of an operation, on HTTP and WebSocket alike.

Before validation (whose overlapping-fields rule is quadratic): the number of fields, and for
operations sent over a WebSocket the key's rate. Before execution (which coerces variables
and resolves): the values in the variables and the estimated cost. Refusals carry a code.
Errors raised from `on_validate` would escape strawberry's WebSocket path, so the checks made
there set the operation's errors instead; `on_execute` may raise on either transport.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar

from graphql import GraphQLError
from starlette.websockets import WebSocket
from strawberry.extensions import SchemaExtension, ValidationCache

from cardgraph.caching.lru import LruCache
from cardgraph.errors import CardgraphError, CostLimitError, RateLimitedError
from cardgraph.graphql.context import Context
from cardgraph.graphql.document_size import DocumentShapeError, DocumentSize, measure_document
from cardgraph.graphql.query_cost import PageSizes, operation_cost
from cardgraph.graphql.variable_values import count_variable_values
from cardgraph.settings import Settings

VALIDATION_CACHE_SIZE = 256


class _TypedValues:
    """Values one operation may still send as typed content."""

    def __init__(self, remaining: int) -> None:
        self.remaining = remaining


# Set when an operation starts executing; its resolvers (tasks copy the context, and with it
# this one mutable count) draw on it. Unset outside cardgraph's schema: each version alone.
_typed_values: ContextVar[_TypedValues | None] = ContextVar("typed_values", default=None)


def check_typed_content(content_json: str, max_values: int) -> None:
    """COST_LIMIT once the typed content of this operation holds too many values."""
    # Separators bound the values from above, at C speed: each value, list and object but
    # the first of its container follows a comma, and each container opens with a bracket.
    values = content_json.count(",") + content_json.count("[") + content_json.count("{")
    budget = _typed_values.get()
    remaining = budget.remaining if budget is not None else max_values
    if values > remaining:
        raise CostLimitError(
            f"typed `content` sends at most {max_values} values an operation and this one "
            f"would send more (about {values} in this version); read `contentJson` instead"
        )
    if budget is not None:
        budget.remaining -= values


def refusal(error: CardgraphError, **extensions: object) -> GraphQLError:
    """A coded GraphQL error for a refused operation."""
    return GraphQLError(error.message, extensions={"code": error.code, **extensions})


class FieldLimitedValidation(ValidationCache):
    """strawberry's validation cache, refusing documents with too many fields (or one response
    name repeated too often in one selection set) before validation runs."""

    # Sizes by document text, so a repeated document is measured once (as it is parsed once).
    _sizes: LruCache[str, DocumentSize | str] = LruCache(VALIDATION_CACHE_SIZE)

    def __init__(self, max_fields: int, max_repeats: int) -> None:
        super().__init__(maxsize=VALIDATION_CACHE_SIZE)
        self.max_fields = max_fields
        self.max_repeats = max_repeats

    def on_validate(self) -> Iterator[None]:
        """Measure the document; validate (cached) only a document within the limits."""
        context = self.execution_context
        if context.pre_execution_errors:  # already refused (rate limit)
            yield
            return
        problem = self._size_problem()
        if problem is not None:
            context.pre_execution_errors = [refusal(CostLimitError(problem))]
            yield
            return
        yield from super().on_validate()

    def _size_problem(self) -> str | None:
        context = self.execution_context
        assert context.graphql_document is not None
        query = context.query
        size = self._sizes.get(query) if query is not None else None
        if size is None:
            try:
                size = measure_document(context.graphql_document)
            except DocumentShapeError as error:
                size = f"the document is refused: {error}"
            if query is not None:
                self._sizes.put(query, size)
        if isinstance(size, str):
            return size
        if size.fields > self.max_fields:
            return (
                f"the document has {size.fields} fields, fragments counted where they are "
                f"spread; at most {self.max_fields} are allowed"
            )
        if size.repeats > self.max_repeats:
            return (
                f"`{size.repeated_name}` is selected {size.repeats} times in one selection set, "
                f"fragments included; at most {self.max_repeats} are allowed"
            )
        return None


class OperationCostLimit(SchemaExtension):
    """Refuses, before execution, an operation whose variables or estimated cost are too big."""

    def __init__(self, settings: Settings) -> None:
        self.max_cost = settings.graphql_max_cost
        self.max_values = settings.graphql_max_typed_values
        self.pages = PageSizes(settings.page_size_default, settings.page_size_max)

    def on_execute(self) -> Iterator[None]:
        """Measure the operation that is about to run; raise COST_LIMIT past a limit."""
        context = self.execution_context
        document = context.graphql_document
        assert document is not None
        schema = context.schema._schema
        values = count_variable_values(
            schema, document, context.operation_name, context.variables, self.max_values
        )
        if values > self.max_values:
            raise refusal(
                CostLimitError(
                    f"the variables hold more than {self.max_values} values (JSON and Upload "
                    "values count once); send large content as contentJson"
                )
            )
        try:
            cost = operation_cost(
                schema, document, context.operation_name, context.variables, self.pages
            )
        except DocumentShapeError as error:
            raise refusal(CostLimitError(f"the operation is refused: {error}")) from None
        if cost > self.max_cost:
            raise refusal(
                CostLimitError(
                    f"the operation's estimated cost is {cost}; at most {self.max_cost} is "
                    "allowed (ask for smaller pages, fewer fields or fewer aliases)"
                ),
                cost=cost,
                maxCost=self.max_cost,
            )
        _typed_values.set(_TypedValues(self.max_values))
        yield


class SocketRateLimit(SchemaExtension):
    """Counts each operation sent over a WebSocket against its key's rate (HTTP counts in the
    view, before the body is read)."""

    async def on_validate(self) -> AsyncIterator[None]:
        """Refuse the operation with RATE_LIMITED, before validation, past the key's rate."""
        context = self.execution_context.context
        if (
            isinstance(context, Context)
            and isinstance(context.request, WebSocket)
            and context.principal is not None
        ):
            try:
                await context.services.rate_limiter.check(context.principal)
            except RateLimitedError as error:
                self.execution_context.pre_execution_errors = [
                    refusal(error, retryAfter=error.retry_after_s)
                ]
        yield
