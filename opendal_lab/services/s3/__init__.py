"""s3: Amazon S3 and every S3-compatible endpoint, on a botocore client.

``config`` (keys, credentials, the client), ``core`` (wire calls, error mapping),
``backend`` (the service), ``writer`` (single and multipart uploads), ``lister``
(ListObjectsV2 / ListObjectVersions pages). See ``backend`` for what is native.

Retries are on by default (config ``max_attempts=4``, ``retry_mode="standard"``;
``max_attempts=1`` turns them off) and are botocore's own, not a RetryLayer put in the
default stack: botocore retries each HTTP request, so a failed list page or multipart part is
sent again alone rather than the whole operation, and its standard mode already tells
transient failures (5xx, SlowDown and other throttling, dropped connections, timeouts) from
permanent ones, with jittered exponential backoff and a retry quota, as boto3 and s3fs do.
What botocore cannot see, a GetObject body cut off midway, ``S3Service.read`` retries itself
within the same ``max_attempts``; an error still failing after the retries is ``persistent``
and names its attempts (``core``), so a RetryLayer on top does not multiply them.
"""

from opendal_lab.core.registry import Registry
from opendal_lab.services.s3.backend import S3Service
from opendal_lab.services.s3.config import S3Config
from opendal_lab.services.s3.core import SCHEME

__all__ = ["SCHEME", "S3Config", "S3Service", "register"]


def register(registry: Registry) -> None:
    """Make the scheme known (the entry point ``opendal_lab.services`` calls this)."""
    registry.add_service(SCHEME, S3Service)
