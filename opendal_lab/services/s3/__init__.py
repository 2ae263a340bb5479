"""s3: Amazon S3 and every S3-compatible endpoint, on a botocore client.

``config`` (keys, credentials, the client), ``core`` (wire calls, error mapping),
``backend`` (the service), ``writer`` (single and multipart uploads), ``lister``
(ListObjectsV2 / ListObjectVersions pages). See ``backend`` for what is native.
"""

from opendal_lab.services.s3.backend import S3Service
from opendal_lab.services.s3.config import S3Config
from opendal_lab.services.s3.core import SCHEME

__all__ = ["SCHEME", "S3Config", "S3Service"]
