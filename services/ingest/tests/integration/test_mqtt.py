"""The MQTT bridge against a real broker (this machine's Mosquitto; MB_TEST_MQTT_URL to use another)."""

import asyncio
import json
import os
import socket
import uuid
from datetime import UTC, datetime
from urllib.parse import urlparse

import aiomqtt
import pytest
from google.protobuf import json_format
from microbrain.ingest.v1 import events_pb2
from microbrain.ingest.v1 import ingest_service_pb2 as pb
from microbrain.ingest.v1 import resources_pb2 as res
from microbrain_ingest.wiring import App

MQTT_URL = os.environ.get("MB_TEST_MQTT_URL", "mqtt://127.0.0.1:1883")


def _broker_reachable() -> bool:
    url = urlparse(MQTT_URL)
    try:
        with socket.create_connection((url.hostname, url.port or 1883), timeout=1):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _broker_reachable(), reason=f"no MQTT broker at {MQTT_URL}")


@pytest.fixture
async def app(settings):
    app = App(settings.model_copy(update={"mqtt_url": MQTT_URL}))
    await app.start()
    await asyncio.wait_for(app.mqtt.connected.wait(), 10)
    yield app
    await app.stop()


@pytest.fixture
async def device(app, register):
    """A lift controller that speaks MQTT: its client, secret and topic root."""
    _, secret = await register("lift-mqtt-1")
    url = urlparse(MQTT_URL)
    root = f"mb/{app.settings.grid_id}/dev/lift-mqtt-1"
    async with aiomqtt.Client(url.hostname, url.port or 1883, identifier=f"dev-{uuid.uuid4().hex[:8]}") as client:
        await client.subscribe(f"{root}/ack", qos=1)
        await client.subscribe(f"{root}/cmd", qos=1)
        yield client, secret, root


def _event_json(secret: str, seq: int, event_id: str, **extra) -> str:
    return json.dumps(
        {
            "secret": secret,
            "seq": seq,
            "event": {
                "event_id": event_id,
                "occurred_at": datetime.now(UTC).isoformat(),
                "type": "car_state",
                "elevator": {"state": "STATE_RUNNING", "floor": 5},
                **extra,
            },
        }
    )


async def _next(client, topic_suffix: str) -> dict:
    """The next message on a topic, as a dict (replies are JSON to JSON devices, protobuf otherwise)."""
    async with asyncio.timeout(10):
        async for message in client.messages:
            if message.topic.value.endswith(topic_suffix):
                if message.payload[:1] == b"{":
                    return json.loads(message.payload)
                return json_format.MessageToDict(pb.Ack.FromString(message.payload), preserving_proto_field_name=True)


async def test_json_event_over_mqtt_is_stored_once_and_acked(app, device, js, h):
    client, secret, root = device
    event_id = str(uuid.uuid4())
    await client.publish(f"{root}/event", _event_json(secret, 1, event_id), qos=1)
    first = await _next(client, "/ack")
    await client.publish(f"{root}/event", _event_json(secret, 2, event_id), qos=1)  # resend
    second = await _next(client, "/ack")
    assert first.get("code", 0) == 0 and first["event_id"] == event_id and not first.get("duplicate")
    assert second["duplicate"] is True and second["seq"] == "2"
    [msg] = await h.stream_messages(js, app.stream, f"mb.{app.settings.grid_id}.ingest.device_event")
    recorded = events_pb2.DeviceEventRecorded.FromString(msg.data)
    assert recorded.transport == res.TRANSPORT_MQTT and recorded.event.elevator.floor == 5


async def test_protobuf_event_over_mqtt_gets_a_protobuf_ack(app, device, h):
    client, secret, root = device
    uplink = res.MqttUplink(secret=secret, seq=9, event=h.lift_event())
    await client.publish(f"{root}/event", uplink.SerializeToString(), qos=1)
    ack = await _next(client, "/ack")
    assert ack["seq"] == "9" and "code" not in ack and int(ack["stream_sequence"]) > 0


@pytest.mark.parametrize(
    ("payload", "code", "words"),
    [
        (lambda s: b"\xffnot protobuf", 3, "not a microbrain.ingest.v1.MqttUplink"),
        (lambda s: _event_json("wrong-secret", 1, "e-1"), 16, "wrong secret"),
        (lambda s: _event_json(s, 1, "e-2", grid_id="longbai"), 9, "registered in grid"),
        (lambda s: json.dumps({"secret": s, "seq": 1, "heartbeat": {}}), 3, "must set event"),
        (lambda s: b"{" + b" " * 70_000 + b"}", 8, "payload is"),
    ],
)
async def test_bad_mqtt_messages_are_refused_on_the_ack_topic(app, device, js, h, payload, code, words):
    client, secret, root = device
    await client.publish(f"{root}/event", payload(secret), qos=1)
    ack = await _next(client, "/ack")
    assert ack["code"] == code and words in ack["message"]
    assert await h.stream_messages(js, app.stream, f"mb.{app.settings.grid_id}.ingest.device_event") == []


async def test_command_reaches_an_mqtt_device_and_its_ack_comes_back(app, stub, device):
    client, secret, root = device
    await client.publish(f"{root}/heartbeat", json.dumps({"secret": secret, "seq": 1, "heartbeat": {}}), qos=1)
    await _next(client, "/ack")

    async def lift():
        command = await _next(client, "/cmd")
        reply = {
            "secret": secret,
            "seq": 2,
            "command_ack": {
                "command_id": command["command_id"],
                "outcome": "OUTCOME_DONE",
                "message": "stopped",
            },
        }
        await client.publish(f"{root}/cmd_ack", json.dumps(reply), qos=1)

    answering = asyncio.create_task(lift())
    reply = await stub.SendCommand(pb.SendCommandRequest(device_id="lift-mqtt-1", name="STOP"))
    await answering
    assert reply.ack.outcome == res.CommandAck.OUTCOME_DONE and reply.ack.message == "stopped"
