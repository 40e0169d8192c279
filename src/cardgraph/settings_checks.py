"""Pure checks and conversions behind `Settings`: environment value forms, cross-setting limits."""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import SecretStr


def blank_as_unset(value: object) -> object:
    """Read an empty variable as unset."""
    # `CARDGRAPH_METRICS_TOKEN=` (compose's `${VAR:-}`) means not set.
    return None if value == "" else value


def split_comma_list(value: object) -> object:
    """Read a comma-separated variable as a tuple of its non-blank items."""
    # A comma-separated environment variable, as the README documents.
    if isinstance(value, str):
        return tuple(b.strip() for b in value.split(",") if b.strip())
    return value


class TaskTiming(Protocol):
    """The settings `check_task_timing` compares."""

    @property
    def task_time_limit_s(self) -> int: ...
    @property
    def broker_visibility_timeout_s(self) -> int: ...
    @property
    def job_heartbeat_s(self) -> float: ...
    @property
    def job_lease_s(self) -> int: ...


def check_task_timing(timing: TaskTiming) -> None:
    """Refuse task and lease timings under which a task could run twice at once."""
    # A task still running when the broker redelivers it would run twice at once.
    if timing.task_time_limit_s >= timing.broker_visibility_timeout_s:
        raise ValueError("task_time_limit_s must be below broker_visibility_timeout_s")
    # A lease renewed less often than half its life lapses under a live worker.
    if timing.job_heartbeat_s * 2 > timing.job_lease_s:
        raise ValueError("job_heartbeat_s must be at most half of job_lease_s")


def environment_variables(values: dict[str, Any]) -> dict[str, str]:
    """Settings values as `CARDGRAPH_*` variables; unset values are left out."""
    env = {}
    for name, value in values.items():
        if isinstance(value, tuple | list):
            env[f"CARDGRAPH_{name.upper()}"] = ",".join(value)
        elif isinstance(value, SecretStr):  # str() would hand children the mask
            env[f"CARDGRAPH_{name.upper()}"] = value.get_secret_value()
        elif value is not None:
            env[f"CARDGRAPH_{name.upper()}"] = str(value)
    return env
