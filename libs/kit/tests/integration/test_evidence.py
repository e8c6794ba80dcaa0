"""The JetStream evidence store against a real nats-server."""

import hashlib
import uuid
from datetime import UTC, datetime, timedelta, timezone

import nats
import pytest
from microbrain_kit import errors
from microbrain_kit.evidence import JetStreamEvidenceStore, bucket_name
from nats.js.errors import BucketNotFoundError

JPEG = b"\xff\xd8\xff\xe0 not really a jpeg " + bytes(range(256)) * 1000  # several 128 KiB chunks


@pytest.fixture
async def js(nats_url):
    nc = await nats.connect(nats_url)
    yield nc.jetstream()
    await nc.close()


@pytest.fixture
def grid() -> str:
    return f"t{uuid.uuid4().hex[:8]}"


async def test_put_get_round_trip_keeps_type_size_digest_and_capture_time(js, grid):
    store = JetStreamEvidenceStore(js)
    captured = datetime(2026, 11, 26, 8, 30, 15, 123456, tzinfo=timezone(timedelta(hours=8)))
    ref = await store.put(grid, JPEG, content_type="image/jpeg", captured_at=captured)
    digest = hashlib.sha256(JPEG).hexdigest()
    assert (ref.key, ref.sha256, ref.size_bytes, ref.content_type) == (digest, digest, len(JPEG), "image/jpeg")
    assert ref.captured_at.ToDatetime(tzinfo=UTC) == captured

    fetched, data = await JetStreamEvidenceStore(js).get(grid, ref.key)  # another process: no cache
    assert data == JPEG and fetched == ref


async def test_same_bytes_twice_are_stored_once(js, grid):
    store = JetStreamEvidenceStore(js)
    first = await store.put(grid, JPEG, content_type="image/jpeg")
    bucket = await js.object_store(bucket_name(grid))
    seq = (await bucket.status()).stream_info.state.last_seq
    again = await JetStreamEvidenceStore(js).put(grid, JPEG, content_type="image/png")
    assert again == first and again.content_type == "image/jpeg" and not again.HasField("captured_at")
    assert (await bucket.status()).stream_info.state.last_seq == seq  # nothing written the second time
    assert [info.name for info in await bucket.list()] == [first.key]


async def test_too_big_and_empty_evidence_is_refused_with_both_sizes(js, grid):
    store = JetStreamEvidenceStore(js, max_object_bytes=1000)
    with pytest.raises(errors.ResourceExhausted) as err:
        await store.put(grid, b"x" * 1001, content_type="image/jpeg")
    assert "1001 bytes" in err.value.message and "1000 bytes" in err.value.message
    assert (await store.put(grid, b"x" * 1000, content_type="image/jpeg")).size_bytes == 1000
    with pytest.raises(errors.InvalidArgument):
        await store.put(grid, b"", content_type="image/jpeg")


async def test_a_full_bucket_refuses_new_evidence(js, grid):
    store = JetStreamEvidenceStore(js, bucket_max_bytes=len(JPEG) + 100_000)
    await store.put(grid, JPEG, content_type="image/jpeg")
    with pytest.raises(errors.ResourceExhausted, match="maximum bytes"):
        await store.put(grid, JPEG[::-1], content_type="image/jpeg")


async def test_unknown_keys_are_not_found_and_grids_are_isolated(js, grid):
    store = JetStreamEvidenceStore(js)
    other, unused = f"{grid}-b", f"{grid}-c"
    ref = await store.put(grid, JPEG, content_type="image/jpeg")
    await store.put(other, b"other grid's snapshot", content_type="image/jpeg")
    with pytest.raises(errors.NotFound):
        await store.get(grid, hashlib.sha256(b"never stored").hexdigest())
    with pytest.raises(errors.NotFound):
        await store.get(other, ref.key)
    with pytest.raises(errors.NotFound):
        await store.get(unused, ref.key)
    with pytest.raises(BucketNotFoundError):
        await js.object_store(bucket_name(unused))  # reading did not create a bucket
    assert (await store.get(grid, ref.key))[1] == JPEG


async def test_bad_grid_ids_and_keys_are_invalid_arguments(js, grid):
    store = JetStreamEvidenceStore(js)
    with pytest.raises(errors.InvalidArgument):
        await store.put("Grid_1", JPEG, content_type="image/jpeg")
    with pytest.raises(errors.InvalidArgument):
        await store.get(grid, "../etc/passwd")


async def test_bucket_ttl_is_the_retention_and_follows_a_changed_setting(js, grid):
    await JetStreamEvidenceStore(js).put(grid, JPEG, content_type="image/jpeg")
    bucket = await js.object_store(bucket_name(grid))
    assert (await bucket.status()).ttl == 90 * 86400
    await JetStreamEvidenceStore(js, retention_s=3600).put(grid, b"later", content_type="image/jpeg")
    assert (await bucket.status()).ttl == 3600
