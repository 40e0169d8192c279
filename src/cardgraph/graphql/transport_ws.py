"""graphql-transport-ws as strawberry speaks it, with a code on every refusal it sends."""

from __future__ import annotations

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage

from cardgraph.graphql.context import Context


class CodedTransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """strawberry's handler; an operation past the per-socket limit gets a coded error."""

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        """Refuse an operation past the limit with `RATE_LIMITED`, then as strawberry does."""
        limit = self.max_subscriptions_per_connection
        if (
            self.connection_acknowledged
            and limit is not None
            and message["id"] not in self.operations
            and len(self.operations) >= limit
        ):
            await self.send_message(
                {
                    "id": message["id"],
                    "type": "error",
                    "payload": [
                        {
                            "message": f"at most {limit} operations may run on one socket",
                            "extensions": {"code": "RATE_LIMITED"},
                        }
                    ],
                }
            )
            return
        await super().handle_subscribe(message)

    def forget_id(self, id: str) -> None:
        """Forget a finished operation; one the client stopped as it finished is gone already."""
        self.operations.pop(id, None)
