"""GraphQL documents and helpers for job tests."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from tests.support.servers import GraphQLClient

JOB_FIELDS = """id kind state progress message input result error { code message } cardName
  requestedBy attempts revision createdAt startedAt finishedAt"""

EXPORT_PDF = f"""
mutation($name: String!, $version: Int) {{
  exportCardPdf(name: $name, version: $version) {{ {JOB_FIELDS} }}
}}
"""
JOB = f"query($id: ID!) {{ job(id: $id) {{ {JOB_FIELDS} }} }}"


def wait_for_job(client: GraphQLClient, job_id: str, timeout: float = 60) -> dict[str, Any]:
    """Poll a job until it reaches a final state."""
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = client.data(JOB, {"id": job_id})["job"]
        if job["state"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return job
        assert time.monotonic() < deadline, f"job still {job['state']}: {job}"
        time.sleep(0.1)


def export_pdf(client: GraphQLClient, name: str, version: int | None = None) -> dict[str, Any]:
    """Start a PDF export and wait for it to finish."""
    job = client.data(EXPORT_PDF, {"name": name, "version": version})["exportCardPdf"]
    return wait_for_job(client, job["id"])


UPLOAD = f"""mutation($input: IngestMetricsFileInput!) {{
  ingestMetricsFile(input: $input) {{ {JOB_FIELDS} }} }}"""


def upload_metrics(
    api_url: str,
    key: str,
    name: str,
    data: bytes,
    *,
    filename: str = "quality.json",
    metric_type: str = "BINARY_CLASSIFICATION",
) -> httpx.Response:
    """Send a metrics file with `ingestMetricsFile` (GraphQL multipart request)."""
    operations = {
        "query": UPLOAD,
        "variables": {
            "input": {
                "name": name,
                "evaluationName": "uploaded",
                "metricType": metric_type,
                "file": None,
            }
        },
    }
    return httpx.post(
        f"{api_url}/graphql",
        headers={"Authorization": f"Bearer {key}"},
        data={
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.input.file"]}),
        },
        files={"0": (filename, data, "text/plain")},
    )
