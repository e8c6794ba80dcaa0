"""The evidence store (snapshots, clips): content-addressed, size-limited objects with a retention,
one bucket per grid; the NATS JetStream object store is the default backend."""

import hashlib
import logging
import re
from datetime import datetime
from typing import Protocol

from google.protobuf.timestamp_pb2 import Timestamp
from microbrain.common.v1 import common_pb2
from nats.js import JetStreamContext, api
from nats.js.errors import APIError, BadRequestError, BucketNotFoundError, ObjectNotFoundError
from nats.js.object_store import ObjectStore

from microbrain_kit import errors

log = logging.getLogger(__name__)

DEFAULT_MAX_OBJECT_BYTES = 8 * 1024 * 1024
DEFAULT_RETENTION_S = 90 * 86400

_GRID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_KEY = re.compile(r"^[0-9a-f]{64}$")

# Header values are lists, as Go's nats.Header, so `nats object info` and Go services can read them.
_CONTENT_TYPE = "Content-Type"
_CAPTURED_AT = "Mb-Captured-At"

# JetStream's "store failed" error; with DiscardPolicy.NEW it is how a full bucket refuses a write.
_STORE_FAILED = 10077
# JetStream's "stream name already in use with a different configuration".
_STREAM_CONFIG_DIFFERS = 10058


def bucket_name(grid_id: str) -> str:
    """The bucket holding one grid's evidence: mb-<grid>-evidence."""
    if not _GRID.match(grid_id):
        raise errors.InvalidArgument(f"invalid grid id {grid_id!r}: use lowercase letters, digits and '-'")
    return f"mb-{grid_id}-evidence"


class EvidenceStore(Protocol):
    """Where services keep evidence bytes; events and records carry only the EvidenceRef."""

    async def put(
        self, grid_id: str, data: bytes, *, content_type: str, captured_at: datetime | None = None
    ) -> common_pb2.EvidenceRef:
        """Stores the bytes (once per content) and returns their reference."""
        ...

    async def get(self, grid_id: str, key: str) -> tuple[common_pb2.EvidenceRef, bytes]:
        """The reference and bytes stored under key; NotFound when absent or expired."""
        ...


class JetStreamEvidenceStore:
    """Evidence in JetStream object stores: the key is the SHA-256 of the bytes, the bucket TTL the retention."""

    def __init__(
        self,
        js: JetStreamContext,
        *,
        max_object_bytes: int = DEFAULT_MAX_OBJECT_BYTES,
        retention_s: float = DEFAULT_RETENTION_S,
        bucket_max_bytes: int | None = None,
    ) -> None:
        self._js = js
        self.max_object_bytes = max_object_bytes
        self.retention_s = retention_s
        self.bucket_max_bytes = bucket_max_bytes
        self._stores: dict[str, ObjectStore] = {}
        self._configured: set[str] = set()

    async def put(
        self, grid_id: str, data: bytes, *, content_type: str, captured_at: datetime | None = None
    ) -> common_pb2.EvidenceRef:
        """Stores the bytes unless already there; the first put's content type and capture time stay."""
        if not data:
            raise errors.InvalidArgument("evidence is empty")
        if len(data) > self.max_object_bytes:
            raise errors.ResourceExhausted(f"evidence is {len(data)} bytes; the limit is {self.max_object_bytes} bytes")
        if not content_type:
            raise errors.InvalidArgument("evidence needs a content type, for example 'image/jpeg'")
        if captured_at is not None and captured_at.utcoffset() is None:
            raise errors.InvalidArgument("captured_at must carry a time zone")
        key = hashlib.sha256(data).hexdigest()
        store = await self._writable(grid_id)
        try:
            return _ref(await store.get_info(key))
        except ObjectNotFoundError:
            pass
        # Two concurrent puts of new bytes may both write; the later one replaces the earlier, same content.
        headers = {_CONTENT_TYPE: [content_type]}
        if captured_at is not None:
            headers[_CAPTURED_AT] = [_rfc3339(captured_at)]
        try:
            info = await store.put(key, data, meta=api.ObjectMeta(name=key, headers=headers))
        except APIError as err:
            if err.err_code == _STORE_FAILED:
                raise errors.ResourceExhausted(
                    f"evidence bucket of grid {grid_id} refused {len(data)} bytes: {err.description}"
                ) from err
            raise
        return _ref(info)

    async def get(self, grid_id: str, key: str) -> tuple[common_pb2.EvidenceRef, bytes]:
        """The reference and bytes stored under key; NotFound when absent or expired."""
        if not _KEY.match(key):
            raise errors.InvalidArgument(f"invalid evidence key {key!r}: expected a hex SHA-256")
        store = await self._readable(grid_id)
        try:
            result = await store.get(key) if store is not None else None
        except ObjectNotFoundError:
            result = None
        if result is None:
            raise errors.NotFound(f"no evidence {key} in grid {grid_id} (never stored, or past retention)")
        return _ref(result.info), result.data

    async def _readable(self, grid_id: str) -> ObjectStore | None:
        name = bucket_name(grid_id)
        if name not in self._stores:
            # Readers open without creating or reconfiguring: only writers own the bucket's limits.
            try:
                self._stores[name] = await self._js.object_store(name)
            except BucketNotFoundError:
                return None
        return self._stores[name]

    async def _writable(self, grid_id: str) -> ObjectStore:
        name = bucket_name(grid_id)
        if name not in self._configured:
            self._stores[name] = await self._ensure_bucket(name, grid_id)
            self._configured.add(name)
        return self._stores[name]

    async def _ensure_bucket(self, name: str, grid_id: str) -> ObjectStore:
        config = api.ObjectStoreConfig(
            description=f"Microbrain evidence of grid {grid_id}",
            ttl=self.retention_s,
            max_bytes=self.bucket_max_bytes,
            storage=api.StorageType.FILE,
        )
        try:
            return await self._js.create_object_store(name, config=config)
        except BadRequestError as err:
            if err.err_code != _STREAM_CONFIG_DIFFERS:
                raise
        # The bucket exists with other limits (the settings changed since): the writer's settings win.
        info = await self._js.stream_info(f"OBJ_{name}")
        log.info("evidence bucket %s: retention %ss -> %ss", name, info.config.max_age, self.retention_s)
        info.config.max_age = self.retention_s
        info.config.max_bytes = self.bucket_max_bytes or -1
        await self._js.update_stream(info.config)
        return await self._js.object_store(name)


def _rfc3339(moment: datetime) -> str:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp.ToJsonString()


def _ref(info: api.ObjectInfo) -> common_pb2.EvidenceRef:
    headers = info.headers or {}
    ref = common_pb2.EvidenceRef(
        key=info.name,
        content_type=headers.get(_CONTENT_TYPE, [""])[0],
        size_bytes=info.size or 0,
        sha256=info.name,  # the key is the digest; the client verifies it on every get
    )
    if captured := headers.get(_CAPTURED_AT):
        ref.captured_at.FromJsonString(captured[0])
    return ref
