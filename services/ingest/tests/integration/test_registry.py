"""Device registry over real gRPC: registration, secrets, listing, enable/disable, rotation, reflection."""

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from microbrain.common.v1 import common_pb2
from microbrain.ingest.v1 import ingest_service_pb2 as pb
from microbrain.ingest.v1 import resources_pb2 as res


async def test_reflection_lists_ingest_and_health(app):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{app.port}") as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)

        async def requests():
            yield reflection_pb2.ServerReflectionRequest(list_services="")

        async for reply in stub.ServerReflectionInfo(requests()):
            names = {s.name for s in reply.list_services_response.service}
            break
        health = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service="microbrain.ingest.v1.IngestService")
        )
    assert {"microbrain.ingest.v1.IngestService", "grpc.health.v1.Health"} <= names
    assert health.status == health_pb2.HealthCheckResponse.SERVING


async def test_register_returns_secret_once_and_get_never_shows_it(stub, register, settings):
    device, secret = await register(
        "lift-gdy22-a",
        name="耕读园 22 号 A 梯",
        place_id="gengduyuan-22",
        location=common_pb2.GeoPoint(lat=31.1872, lon=121.3951),
    )
    assert secret.startswith("mbd_") and len(secret) > 40
    assert device.grid_id == settings.grid_id and device.enabled and not device.online
    assert device.heartbeat_interval.seconds == 30
    got = (await stub.GetDevice(pb.GetDeviceRequest(device_id="lift-gdy22-a"))).device
    assert got.name == "耕读园 22 号 A 梯" and got.location.lat == pytest.approx(31.1872)
    assert secret not in str(got)


@pytest.mark.parametrize(
    ("request_fields", "code", "words"),
    [
        (
            {"device_id": "Bad Id!", "kind": res.DEVICE_KIND_CAMERA},
            grpc.StatusCode.INVALID_ARGUMENT,
            "device_id",
        ),
        ({"device_id": "cam-1", "kind": 0}, grpc.StatusCode.INVALID_ARGUMENT, "kind must be one of"),
        (
            {"device_id": "cam-1", "kind": res.DEVICE_KIND_CAMERA, "grid_id": "longbai"},
            grpc.StatusCode.INVALID_ARGUMENT,
            "this ingest serves grid",
        ),
    ],
)
async def test_register_refuses_bad_requests_with_a_message(stub, request_fields, code, words):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.RegisterDevice(pb.RegisterDeviceRequest(**request_fields))
    assert err.value.code() == code
    assert words in err.value.details()


async def test_register_twice_is_already_exists(register):
    await register("cam-gdy22-lift-a", res.DEVICE_KIND_CAMERA)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await register("cam-gdy22-lift-a", res.DEVICE_KIND_CAMERA)
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS


async def test_get_unknown_device_is_not_found(stub):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.GetDevice(pb.GetDeviceRequest(device_id="nope-1"))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert "nope-1" in err.value.details()


async def test_list_pages_through_every_device_with_filters(stub, register):
    for i in range(5):
        await register(f"wifi-{i:02d}", res.DEVICE_KIND_WIFI_PROBE, place_id="aegean-mall")
    await register("lift-x", res.DEVICE_KIND_ELEVATOR_CONTROLLER)
    seen, token = [], ""
    while True:
        reply = await stub.ListDevices(
            pb.ListDevicesRequest(
                page=common_pb2.PageRequest(page_size=2, page_token=token), kind=res.DEVICE_KIND_WIFI_PROBE
            )
        )
        seen += [d.device_id for d in reply.devices]
        token = reply.page.next_page_token
        if not token:
            break
    assert seen == [f"wifi-{i:02d}" for i in range(5)]
    everything = await stub.ListDevices(pb.ListDevicesRequest())
    assert len(everything.devices) == 6
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.ListDevices(pb.ListDevicesRequest(page=common_pb2.PageRequest(page_token="%%%")))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_disabled_device_is_refused_and_its_open_stream_closed(stub, register, open_stream, h):
    _, secret = await register()
    stream = open_stream("lift-gdy22-a", secret)
    assert (await stream.ack_for(event=h.lift_event())).code == 0
    await stub.UpdateDevice(pb.UpdateDeviceRequest(device_id="lift-gdy22-a", enabled=False))
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stream.recv()
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    again = open_stream("lift-gdy22-a", secret)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await again.ack_for(event=h.lift_event())
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "disabled" in err.value.details()


async def test_rotating_the_secret_retires_the_old_one(stub, register, open_stream, h):
    _, old = await register()
    reply = await stub.UpdateDevice(pb.UpdateDeviceRequest(device_id="lift-gdy22-a", rotate_secret=True))
    assert reply.secret and reply.secret != old and reply.device.credential_version == 2
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await open_stream("lift-gdy22-a", old).ack_for(event=h.lift_event())
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert (await open_stream("lift-gdy22-a", reply.secret).ack_for(event=h.lift_event())).code == 0
