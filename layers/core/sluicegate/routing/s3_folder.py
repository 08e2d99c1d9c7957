"""The routing config of a deployed gateway: a folder of the model bucket, downloaded on a cold start.

The folder contains ``routing.yaml`` and the tokenizer files that its SageMaker
backends name. A relative ``tokenizer`` path in that file is relative to the
folder, so the layout is, for example::

    s3://<model bucket>/routing/routing.yaml
    s3://<model bucket>/routing/tokenizers/llama-3.1-8b.json
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .errors import RoutingConfigError

log = logging.getLogger(__name__)

ROUTING_FILENAME = "routing.yaml"
DEFAULT_DOWNLOAD_ROOT = Path("/tmp/sluicegate-routing")
# routing.yaml and a few tokenizers; more objects means the prefix names the wrong folder.
MAX_OBJECTS = 64


def download_routing_folder(s3_client: Any, bucket: str, prefix: str, *, download_root: Path | None = None) -> Path:
    """Download every object under ``s3://bucket/prefix/`` into a new folder and return that folder.

    The folder is created under ``download_root``, by default ``DEFAULT_DOWNLOAD_ROOT``.

    Raises ``RoutingConfigError`` when the folder cannot be listed or read,
    has no routing.yaml, has too many objects, or has a key that would land
    outside the download folder.
    """
    key_prefix = prefix.strip("/") + "/"
    source = f"s3://{bucket}/{key_prefix}"
    try:
        pages = s3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key_prefix)
        keys = [item["Key"] for page in pages for item in page.get("Contents", [])]
    except (BotoCoreError, ClientError) as exc:
        raise RoutingConfigError(source, [f"listing the folder failed: {exc}"]) from exc

    files = {key[len(key_prefix):]: key for key in keys if not key.endswith("/")}
    if ROUTING_FILENAME not in files:
        raise RoutingConfigError(
            source, [f"{ROUTING_FILENAME} not found; upload config/routing.yaml as {source}{ROUTING_FILENAME}"]
        )
    if len(files) > MAX_OBJECTS:
        raise RoutingConfigError(
            source,
            [f"the folder has {len(files)} objects, more than {MAX_OBJECTS}; keep only {ROUTING_FILENAME} "
             "and the tokenizer files it names there"],
        )
    unsafe = sorted(name for name in files if ".." in PurePosixPath(name).parts or name.startswith("/"))
    if unsafe:
        raise RoutingConfigError(source, [f"object names with '..' or a leading '/' are not allowed: {unsafe}"])

    root = download_root or DEFAULT_DOWNLOAD_ROOT
    root.mkdir(parents=True, exist_ok=True)
    # A new folder per cold start, so that files removed from the bucket do not linger.
    target = Path(tempfile.mkdtemp(prefix="routing-", dir=root))
    for name, key in sorted(files.items()):
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            s3_client.download_file(bucket, key, str(path))
        except (BotoCoreError, ClientError) as exc:
            # The next request downloads into a new folder, so this one would only fill /tmp.
            shutil.rmtree(target, ignore_errors=True)
            raise RoutingConfigError(source, [f"download of s3://{bucket}/{key} failed: {exc}"]) from exc
    log.info("downloaded the routing config %s (%d files) into %s", source, len(files), target)
    return target
