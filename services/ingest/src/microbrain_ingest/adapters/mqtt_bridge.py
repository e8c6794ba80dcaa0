"""MQTT bridge for devices that speak MQTT (most lift controllers and sensors do).

Same validation, authentication and de-duplication as the gRPC stream; see MqttUplink in
resources.proto for the topics. Messages are taken at QoS 1 on a persistent session and PUBACKed
only after ingest has answered them, so a bridge that dies mid-message gets it again from the broker.
"""

import asyncio
import hmac
import logging
import time
from urllib.parse import urlparse

import aiomqtt
from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from microbrain.ingest.v1 import ingest_service_pb2 as pb
from microbrain.ingest.v1 import resources_pb2
from microbrain_kit import errors, telemetry

from microbrain_ingest.domain import service
from microbrain_ingest.domain.models import DeviceInfo
from microbrain_ingest.metrics import REFUSED

log = logging.getLogger(__name__)
MQTT = resources_pb2.TRANSPORT_MQTT
UPLINKS = {"event": "event", "heartbeat": "heartbeat", "cmd_ack": "command_ack"}
AUTH_CACHE_S = 10.0


class MqttBridge:
    """Subscribes to the grid's device topics and feeds them through ingest's use cases."""

    def __init__(self, app) -> None:  # app: microbrain_ingest.wiring.App
        self.app = app
        self.grid = app.settings.grid_id
        url = urlparse(app.settings.mqtt_url)
        if url.scheme not in ("mqtt", "tcp") or not url.hostname:
            raise ValueError(f"MB_MQTT_URL must look like mqtt://host:1883, got {app.settings.mqtt_url!r}")
        self.host, self.port = url.hostname, url.port or 1883
        self.username, self.password = url.username, url.password
        self._auth: dict[str, tuple[DeviceInfo, str, float]] = {}
        self._json: set[str] = set()  # devices that speak JSON get JSON back
        self._commands: dict[str, object] = {}
        self._client: aiomqtt.Client | None = None
        self._task: asyncio.Task | None = None
        self._background: set[asyncio.Task] = set()
        self.connected = asyncio.Event()

    async def start(self) -> None:
        """Starts the bridge loop (it reconnects by itself)."""
        self._task = asyncio.create_task(self._run(), name="mqtt-bridge")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        for subscription in self._commands.values():
            await subscription.unsubscribe()
        self._commands.clear()

    def forget(self, device_ids: list[str]) -> None:
        """Drops cached credentials (disabled or rotated devices) and command routes (offline devices)."""
        for device_id in device_ids:
            self._auth.pop(device_id, None)
            subscription = self._commands.pop(device_id, None)
            if subscription is not None:
                task = asyncio.create_task(subscription.unsubscribe())
                self._background.add(task)
                task.add_done_callback(self._background.discard)

    async def _run(self) -> None:
        backoff = 1.0
        while True:
            try:
                client = aiomqtt.Client(
                    self.host,
                    self.port,
                    username=self.username,
                    password=self.password,
                    identifier=f"microbrain-ingest-{self.grid}",
                    clean_session=False,  # the broker keeps QoS 1 messages while we are away
                )
                # aiomqtt has no switch for it: PUBACK only once a message is handled (paho's manual ack).
                client._client.manual_ack_set(True)
                async with client:
                    self._client = client
                    for topic in UPLINKS:
                        await client.subscribe(f"$share/microbrain-ingest/mb/{self.grid}/dev/+/{topic}", qos=1)
                    self.connected.set()
                    backoff = 1.0
                    log.info("MQTT bridge connected to %s:%d", self.host, self.port)
                    async for message in client.messages:
                        await self._handle(message)
                        client._client.ack(message.mid, message.qos)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.connected.clear()
                log.warning("MQTT bridge disconnected (%s); retrying in %.0fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30)

    async def _handle(self, message: aiomqtt.Message) -> None:
        parts = message.topic.value.split("/")
        device_id, topic = parts[3], parts[4]
        payload = message.payload if isinstance(message.payload, bytes | bytearray) else b""
        as_json = payload[:1] == b"{"
        uplink = resources_pb2.MqttUplink()
        try:
            if len(payload) > self.app.settings.max_event_bytes + 1024:
                raise errors.ResourceExhausted(
                    f"payload is {len(payload)} bytes; events are limited to {self.app.settings.max_event_bytes}"
                )
            try:
                if as_json:
                    json_format.Parse(payload, uplink)
                else:
                    uplink.ParseFromString(payload)
            except (DecodeError, json_format.ParseError, UnicodeDecodeError) as exc:
                raise errors.InvalidArgument(
                    f"payload on {topic} is not a microbrain.ingest.v1.MqttUplink (protobuf or JSON): {exc}"
                ) from None
            if uplink.WhichOneof("message") != UPLINKS[topic]:
                raise errors.InvalidArgument(f"a message on topic {topic} must set {UPLINKS[topic]}")
            device = await self._authenticate(device_id, uplink.secret)
        except errors.DomainError as err:
            await self._reply(device_id, as_json, self._refusal(uplink, err))
            return
        if as_json:
            self._json.add(device_id)
        else:
            self._json.discard(device_id)
        self.app.presence.seen(device_id, MQTT)
        if device_id not in self._commands:
            self._commands[device_id] = await self.app.router.attach(
                device_id, lambda cmd, d=device_id: self._send_command(d, cmd), queue="mqtt"
            )
        if topic == "event":
            try:
                service.validate_event(device, uplink.event, now_s=time.time(), limits=self.app.limits)
            except errors.DomainError as err:
                await self._reply(device_id, as_json, self._refusal(uplink, err))
                return
            recorder = service.EventRecorder(device, MQTT, telemetry.inject())
            ack = await self.app.events.store(recorder, uplink.event)
        else:
            if topic == "cmd_ack":
                await self.app.router.acked(uplink.command_ack)
            ack = pb.Ack()
        ack.seq = uplink.seq
        await self._reply(device_id, as_json, ack)

    def _refusal(self, uplink: resources_pb2.MqttUplink, err: errors.DomainError) -> pb.Ack:
        REFUSED.labels("mqtt", err.code.name).inc()
        log.info("MQTT message refused: %s", err.message)
        return pb.Ack(seq=uplink.seq, event_id=uplink.event.event_id[:64], code=err.code.value[0], message=err.message)

    async def _authenticate(self, device_id: str, secret: str) -> DeviceInfo:
        cached = self._auth.get(device_id)
        digest = service.hash_secret(secret)
        if cached and cached[2] > time.monotonic() and hmac.compare_digest(cached[1], digest):
            return cached[0]
        async with self.app.sessions() as session:
            device = await service.authenticate(session=session, device_id=device_id, secret=secret)
        self._auth[device_id] = (device, digest, time.monotonic() + AUTH_CACHE_S)
        return device

    async def _reply(self, device_id: str, as_json: bool, message: Message) -> None:
        await self._publish(f"mb/{self.grid}/dev/{device_id}/ack", message, as_json)

    async def _send_command(self, device_id: str, command: resources_pb2.Command) -> None:
        await self._publish(f"mb/{self.grid}/dev/{device_id}/cmd", command, device_id in self._json)

    async def _publish(self, topic: str, message: Message, as_json: bool) -> None:
        if self._client is None:
            raise errors.Unavailable("MQTT broker not connected")
        data = (
            json_format.MessageToJson(message, preserving_proto_field_name=True, indent=None).encode()
            if as_json
            else message.SerializeToString()
        )
        await self._client.publish(topic, data, qos=1)
