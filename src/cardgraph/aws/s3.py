"""Typed S3 access: URIs, bucket allow-list, writes with SSE-KMS, presigned reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cardgraph.aws.clients import AwsClients
from cardgraph.aws.errors import aws_configuration, run_aws
from cardgraph.errors import FieldProblem, NotFoundError, ValidationFailedError


@dataclass(frozen=True, slots=True)
class S3Location:
    """A bucket and a key (or key prefix)."""

    bucket: str
    key: str

    @property
    def uri(self) -> str:
        """The location as an s3:// URI."""
        return f"s3://{self.bucket}/{self.key}"

    def child(self, *parts: str) -> S3Location:
        """A location below this one."""
        prefix = self.key.rstrip("/")
        return S3Location(self.bucket, "/".join(p for p in (prefix, *parts) if p))


def parse_s3_uri(uri: str, field: str) -> S3Location:
    """Parse `s3://bucket/key`; VALIDATION_FAILED naming `field` otherwise."""
    if not uri.startswith("s3://"):
        raise ValidationFailedError([FieldProblem(field, "must be an s3://bucket/prefix URI")])
    bucket, _, key = uri[5:].partition("/")
    if not bucket:
        raise ValidationFailedError([FieldProblem(field, "names no bucket")])
    return S3Location(bucket, key)


def check_bucket_allowed(location: S3Location, allowed: tuple[str, ...], field: str) -> None:
    """Refuse buckets outside the configured allow-list."""
    if location.bucket not in allowed:
        raise ValidationFailedError(
            [FieldProblem(field, f"bucket {location.bucket!r} is not in CARDGRAPH_S3_BUCKETS")]
        )


class S3:
    """The S3 calls cardgraph makes, run off the event loop."""

    def __init__(self, clients: AwsClients) -> None:
        self._clients = clients

    def _client(self) -> Any:
        return self._clients.client("s3")

    async def put(
        self, location: S3Location, data: bytes, content_type: str, kms_key_id: str | None = None
    ) -> None:
        """Write an object, encrypted with the given KMS key when there is one."""
        extra: dict[str, Any] = {"ContentType": content_type}
        if kms_key_id:
            extra.update(ServerSideEncryption="aws:kms", SSEKMSKeyId=kms_key_id)
        await run_aws(
            "S3",
            self._client().put_object,
            Bucket=location.bucket,
            Key=location.key,
            Body=data,
            **extra,
        )

    async def get(self, location: S3Location) -> bytes:
        """Read a whole (small) object."""
        response = await run_aws(
            "S3", self._client().get_object, Bucket=location.bucket, Key=location.key
        )
        body: bytes = await run_aws("S3", response["Body"].read)
        return body

    async def read_capped(self, location: S3Location, limit: int) -> tuple[bytes, str]:
        """Stream an object into memory, refusing it past `limit` bytes; return bytes and ETag."""
        return await run_aws("S3", self._read_capped, location, limit)

    def _read_capped(self, location: S3Location, limit: int) -> tuple[bytes, str]:
        client = self._client()
        try:
            response = client.get_object(Bucket=location.bucket, Key=location.key)
        except client.exceptions.NoSuchKey:
            raise NotFoundError(f"no object at {location.uri}") from None
        except client.exceptions.ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchBucket", "404", "AccessDenied", "403"):
                raise NotFoundError(f"cannot read {location.uri} ({code})") from None
            raise
        body = response["Body"]
        try:
            if response.get("ContentLength", 0) > limit:
                raise _too_large(location, limit)
            chunks, size = [], 0
            for chunk in body.iter_chunks(64 * 1024):
                size += len(chunk)
                if size > limit:  # the declared length may be absent or wrong
                    raise _too_large(location, limit)
                chunks.append(chunk)
        finally:
            body.close()
        return b"".join(chunks), str(response.get("ETag", "")).strip('"')

    async def exists(self, location: S3Location) -> bool:
        """Whether an object exists."""
        client = self._client()

        def head() -> bool:
            try:
                client.head_object(Bucket=location.bucket, Key=location.key)
            except client.exceptions.ClientError as error:
                if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                    return False
                raise
            return True

        return await run_aws("S3", head)

    def presigned_get(self, location: S3Location, expires_s: int, filename: str) -> str:
        """A time-limited download URL (signed here, so it needs credentials)."""
        with aws_configuration("S3"):
            url: str = self._client().generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": location.bucket,
                    "Key": location.key,
                    "ResponseContentDisposition": f'attachment; filename="{filename}"',
                },
                ExpiresIn=expires_s,
            )
        return url


def _too_large(location: S3Location, limit: int) -> ValidationFailedError:
    return ValidationFailedError(
        [FieldProblem("s3Uri", f"{location.uri} is larger than the {limit}-byte limit")]
    )
