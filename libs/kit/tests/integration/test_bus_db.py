"""The bus and the outbox against a real nats-server and a real database."""

import asyncio
import uuid

import grpc
import pytest
from grpc_health.v1 import health_pb2
from microbrain.common.v1 import common_pb2
from microbrain_kit import errors
from microbrain_kit.bus import BatchConsumer, Bus, Consumer, ConsumerSpec, Transient
from microbrain_kit.db import OutboxRelay, add_to_outbox, create_engine, outbox_table, session_factory
from microbrain_kit.server import GrpcServer
from sqlalchemy import MetaData, func, select


@pytest.fixture
async def bus(nats_url):
    bus = await Bus.connect(nats_url, name="test")
    yield bus
    await bus.close()


@pytest.fixture
async def stream(bus):
    name, grid = f"mb-t{uuid.uuid4().hex[:6]}-test", f"t{uuid.uuid4().hex[:6]}"
    await bus.ensure_stream(name, [f"mb.{grid}.test.*"])
    return name, grid


def _meta(i: int) -> common_pb2.EventMeta:
    return common_pb2.EventMeta(event_id=f"e-{i}", grid_id="g")


async def test_publish_dedupes_on_msg_id(bus, stream):
    name, grid = stream
    first = await bus.publish(f"mb.{grid}.test.thing", _meta(1), msg_id="e-1")
    again = await bus.publish(f"mb.{grid}.test.thing", _meta(1), msg_id="e-1")
    assert not first.duplicate and again.duplicate and again.seq == first.seq
    assert (await bus.js.stream_info(name)).state.messages == 1


async def test_consumer_acks_retries_transient_failures_and_terms_garbage(bus, stream):
    name, grid = stream
    handled, attempts = [], {}

    async def handler(event, msg):
        attempts[event.event_id] = attempts.get(event.event_id, 0) + 1
        if event.event_id == "e-2" and attempts["e-2"] == 1:
            raise Transient("database busy")
        handled.append(event.event_id)

    spec = ConsumerSpec(
        stream=name,
        durable="worker",
        filter_subject=f"mb.{grid}.test.*",
        message_type=common_pb2.EventMeta,
        backoff_s=(0.1,),
    )
    consumer = Consumer(bus, spec, handler)
    await consumer.start()
    await bus.publish(f"mb.{grid}.test.thing", _meta(1), msg_id="e-1")
    await bus.publish(f"mb.{grid}.test.thing", _meta(2), msg_id="e-2")
    await bus.js.publish(f"mb.{grid}.test.thing", b"\xff\xff\xff not protobuf")
    async with asyncio.timeout(10):
        while sorted(handled) != ["e-1", "e-2"]:
            await asyncio.sleep(0.05)
    await consumer.stop()
    assert attempts == {"e-1": 1, "e-2": 2}
    info = await bus.js.consumer_info(name, "worker")
    assert info.num_ack_pending == 0 and info.num_pending == 0  # garbage was terminated, not redelivered


async def test_batch_consumer_hands_over_batches_retries_a_failed_one_whole_and_skips_other_types(bus, stream):
    name, grid = stream
    batches: list[list[str]] = []
    failed = False

    async def handler(batch):
        nonlocal failed
        ids = [event.event_id for event, _ in batch]
        if "e-3" in ids and not failed:
            failed = True
            raise Transient("database busy")  # the whole batch comes again
        batches.append(ids)

    spec = ConsumerSpec(
        stream=name,
        durable="folder",
        filter_subject=f"mb.{grid}.test.*",
        message_type=common_pb2.EventMeta,
        types={"thing": common_pb2.EventMeta}.get,  # "other" events are not this consumer's
        batch=10,
        backoff_s=(0.1,),
    )
    for i in range(1, 6):
        await bus.publish(f"mb.{grid}.test.thing", _meta(i), msg_id=f"e-{i}")
    await bus.publish(f"mb.{grid}.test.other", _meta(9), msg_id="e-9")
    await bus.js.publish(f"mb.{grid}.test.thing", b"\xff\xff\xff not protobuf")
    consumer = BatchConsumer(bus, spec, handler)
    await consumer.start()
    async with asyncio.timeout(10):
        while sorted(i for b in batches for i in b) != ["e-1", "e-2", "e-3", "e-4", "e-5"]:
            await asyncio.sleep(0.05)
    await consumer.stop()
    assert failed and batches[0] == ["e-1", "e-2", "e-3", "e-4", "e-5"]  # one batch, in stream order
    info = await bus.js.consumer_info(name, "folder")
    assert info.num_ack_pending == 0 and info.num_pending == 0


async def test_outbox_relay_publishes_committed_rows_once(bus, stream, database):
    name, grid = stream
    metadata = MetaData()
    table = outbox_table(metadata, "kit")
    engine = create_engine(database.url, schema=database.schema)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    sessions = session_factory(engine)
    async with sessions() as session:
        for i in range(3):
            await add_to_outbox(session, table, f"mb.{grid}.test.thing", _meta(i), f"e-{i}")
        await session.commit()
    async with sessions() as session:  # rolled back: never published
        await add_to_outbox(session, table, f"mb.{grid}.test.thing", _meta(9), "e-9")
        await session.rollback()
    relay = OutboxRelay(sessions, table, bus)
    assert await relay.flush() == 3
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(table)) == 0
    assert (await bus.js.stream_info(name)).state.messages == 3
    await engine.dispose()


async def _check(request, context):
    if request.service == "domain":
        raise errors.NotFound("no such thing as 'domain'")
    raise RuntimeError("secret internals")


async def test_server_maps_domain_errors_and_hides_unexpected_ones():
    server = GrpcServer(service="test", host="127.0.0.1", registrations=[])
    method = grpc.unary_unary_rpc_method_handler(
        _check, health_pb2.HealthCheckRequest.FromString, health_pb2.HealthCheckResponse.SerializeToString
    )
    server.server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("x.Boom", {"Check": method})])
    port = await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            call = channel.unary_unary(
                "/x.Boom/Check",
                request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
                response_deserializer=health_pb2.HealthCheckResponse.FromString,
            )
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await call(health_pb2.HealthCheckRequest(service="domain"))
            assert err.value.code() == grpc.StatusCode.NOT_FOUND and "domain" in err.value.details()
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await call(health_pb2.HealthCheckRequest(service="other"))
            assert err.value.code() == grpc.StatusCode.INTERNAL
            assert "secret internals" not in err.value.details() and "trace" in err.value.details()
    finally:
        await server.stop(1)
