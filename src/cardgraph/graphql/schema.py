"""The GraphQL schema: domain query and mutation types merged, with limits from Settings."""

from __future__ import annotations

from collections.abc import Callable

import strawberry
from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    max_aliases,
    query_depth_limiter,
)
from strawberry.extensions.disable_introspection import DisableIntrospection
from strawberry.types import ExecutionContext

from cardgraph.graphql.access.resolvers import AccessMutation, AccessQuery
from cardgraph.graphql.audit.resolvers import AuditQuery
from cardgraph.graphql.cards.resolvers import CardMutation, CardQuery
from cardgraph.graphql.cards.subscriptions import CardEventSubscription
from cardgraph.graphql.errors import CodedErrors
from cardgraph.graphql.exports.resolvers import ExportMutation
from cardgraph.graphql.field_roles import MINIMUM_ROLES
from cardgraph.graphql.guard import OperationGate, guard_root_fields
from cardgraph.graphql.jobs.autopopulate import AutopopulateMutation
from cardgraph.graphql.jobs.metrics import MetricsMutation
from cardgraph.graphql.jobs.resolvers import JobMutation, JobQuery
from cardgraph.graphql.jobs.subscriptions import JobSubscription
from cardgraph.graphql.limits import FieldLimitedValidation, OperationCostLimit, SocketRateLimit
from cardgraph.graphql.operation_choice import OperationChoice
from cardgraph.graphql.operation_metrics import OperationMetrics
from cardgraph.graphql.packages.resolvers import PackageMutation, PackageQuery
from cardgraph.graphql.sibling_fields import settle_sibling_fields
from cardgraph.graphql.subscription_transport import StreamedSubscriptions
from cardgraph.settings import Settings


@strawberry.type(description="Read cards, versions, jobs and API keys.")
class Query(CardQuery, JobQuery, PackageQuery, AuditQuery, AccessQuery):
    """Every query, merged from the domains."""


@strawberry.type(description="Change cards and API keys; start and cancel jobs.")
class Mutation(
    CardMutation,
    JobMutation,
    ExportMutation,
    MetricsMutation,
    AutopopulateMutation,
    PackageMutation,
    AccessMutation,
):
    """Every mutation, merged from the domains."""


@strawberry.type(description="Live updates: job progress and card events.")
class Subscription(JobSubscription, CardEventSubscription):
    """Every subscription."""


class CardgraphSchema(StreamedSubscriptions):
    """Schema whose errors are logged by `CodedErrors` (expected ones are not logged at all)."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Do nothing: `CodedErrors` logs the unexpected errors, with their request id."""


def schema_extensions(
    settings: Settings,
) -> list[type[SchemaExtension] | Callable[[], SchemaExtension]]:
    """Limits, caches and error coding of every cardgraph schema (the benchmark's too)."""
    # The limit rules are built once: the validation cache keys on the rule classes, and a
    # limiter made per operation would bring new classes, so nothing would ever be reused.
    limit_rules: list[type[ASTValidationRule]] = [
        query_depth_limiter.create_validator(settings.graphql_max_depth, None),
        max_aliases.create_validator(settings.graphql_max_aliases),
    ]
    # Factories, not instances: strawberry builds fresh extensions per operation; the parser
    # and validation caches live at module level, so they are shared all the same.
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        CodedErrors,
        lambda: AddValidationRules(limit_rules),
        lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
        lambda: ParserCache(maxsize=256),
        # In this order: the rate and the field count are checked before validation runs.
        SocketRateLimit,
        lambda: FieldLimitedValidation(
            settings.graphql_max_fields, settings.graphql_max_field_repeats
        ),
        lambda: OperationCostLimit(settings),
    ]
    if not settings.graphql_introspection:
        extensions.append(DisableIntrospection)
    return extensions


def build_schema(settings: Settings) -> strawberry.Schema:
    """Build the schema with the limits and switches of `settings`."""
    guard_root_fields(MINIMUM_ROLES, Query, Mutation, Subscription)
    settle_sibling_fields()
    return CardgraphSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        # Outermost, so the outcome it counts is the one the client gets (errors coded).
        extensions=[OperationMetrics, OperationGate, OperationChoice, *schema_extensions(settings)],
    )
