"""Job queries and mutations: read jobs, cancel them."""

from __future__ import annotations

import strawberry

from cardgraph.graphql.context import Info
from cardgraph.graphql.jobs.types import JobFilter, JobType
from cardgraph.graphql.pagination import Connection, page_request, to_connection
from cardgraph.pagination import JOBS


@strawberry.type
class JobQuery:
    """Job queries."""

    @strawberry.field(description="A job by id; null if there is none.")
    async def job(self, info: Info, id: strawberry.ID) -> JobType | None:
        found = await info.context.services.jobs.get(str(id))
        return JobType.from_domain(found) if found else None

    @strawberry.field(description="Jobs, newest first.")
    async def jobs(
        self,
        info: Info,
        filter: JobFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[JobType]:
        request = await page_request(info, JOBS, first, after)
        page = await info.context.services.jobs.list_jobs(
            (filter or JobFilter()).to_domain(), request
        )
        return await to_connection(info, page, JobType.from_domain)


@strawberry.type
class JobMutation:
    """Job mutations."""

    @strawberry.mutation(description="Cancel a queued or running job. Needs editor.")
    async def cancel_job(self, info: Info, id: strawberry.ID) -> JobType:
        return JobType.from_domain(
            await info.context.services.jobs.cancel(str(id), info.context.actor)
        )
