"""GraphQL output types that several card content sections share: key/value pairs, images."""

from __future__ import annotations

import strawberry


@strawberry.type(description="A free-form property: key and value.")
class KeyValue:
    """One entry of a string-to-string map."""

    key: str = strawberry.field(description="Property name.")
    value: str = strawberry.field(description="Property value.")


@strawberry.type(description="Container images of an environment.")
class ContainerImages:
    """Container image URIs."""

    container_image: list[str] | None = strawberry.field(
        default=None, description="Container image URIs (at most 15)."
    )
