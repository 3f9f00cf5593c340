"""`chalice package` for this project: the Chalice CLI, with the S3 event of `relay_inbound` wired by infra/ instead.

    python infra/chalice_package.py package --stage prod --merge-template merge.json out   (infra/package.py runs it)

Chalice 1.34's CloudFormation packager refuses any `@app.on_s3_event` ("CloudFormation does not support modifying the
event notifications of existing buckets"). Our bucket is not an existing one: infra/resources.json creates it
(`RelayMailBucket`) with its notification to `RelayInbound` and the permission S3 needs. So for that one handler the
packager emits nothing; any other S3 handler still fails loudly, since nothing would wire it.
"""

from __future__ import annotations

import sys
from typing import Any

from chalice import package
from chalice.cli import main

# The functions whose S3 notification infra/resources.json wires (bucket NotificationConfiguration + Lambda permission).
WIRED_BY_INFRA = frozenset({"relay_inbound"})


def _bucket_notification(self: Any, resource: Any, template: dict[str, Any]) -> None:
    name = resource.lambda_function.resource_name
    if name not in WIRED_BY_INFRA:
        raise NotImplementedError(
            f"@app.on_s3_event on {name!r}: Chalice cannot package an S3 notification and infra/resources.json wires "
            f"only {sorted(WIRED_BY_INFRA)}; add its bucket, notification and permission there and to WIRED_BY_INFRA"
        )


package.SAMTemplateGenerator._generate_s3bucketnotification = _bucket_notification  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main())
