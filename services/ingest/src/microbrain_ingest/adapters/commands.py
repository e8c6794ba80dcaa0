"""Command routing over core NATS, so a command reaches its device whichever replica holds its connection.

A replica holding a device's live gRPC stream (or its MQTT session) subscribes to the device's command
subject and answers "delivered"; the device's ack travels back on the command's ack subject.
No responders on the command subject means the device is not connected anywhere.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from microbrain.ingest.v1 import resources_pb2
from microbrain_kit.bus import Bus
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout

log = logging.getLogger(__name__)


class CommandUndelivered(Exception):
    """The command did not reach the device, or the device did not ack it in time; the message says which."""


class CommandRouter:
    """Delivers commands to connected devices and brings their acks back."""

    def __init__(self, bus: Bus, grid_id: str) -> None:
        self.bus = bus
        self.prefix = f"mbrpc.{grid_id}.ingest"

    def _cmd_subject(self, device_id: str) -> str:
        return f"{self.prefix}.cmd.{device_id}"

    def _ack_subject(self, command_id: str) -> str:
        return f"{self.prefix}.cmdack.{command_id}"

    async def attach(
        self, device_id: str, deliver: Callable[[resources_pb2.Command], Awaitable[None]], queue: str = ""
    ) -> Subscription:
        """Takes commands for a device connected here; unsubscribe the result when it disconnects."""

        async def on_command(msg: Msg) -> None:
            try:
                await deliver(resources_pb2.Command.FromString(msg.data))
                await msg.respond(b"delivered")
            except Exception as exc:
                log.warning("command for %s not delivered: %s", device_id, exc)

        return await self.bus.nc.subscribe(self._cmd_subject(device_id), queue=queue, cb=on_command)

    async def acked(self, ack: resources_pb2.CommandAck) -> None:
        """Passes a device's command ack to whoever waits for it."""
        await self.bus.nc.publish(self._ack_subject(ack.command_id), ack.SerializeToString())

    async def send(self, device_id: str, command: resources_pb2.Command, timeout: float) -> resources_pb2.CommandAck:
        """Delivers a command and waits for the device's ack; CommandUndelivered when offline or silent."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        acks = await self.bus.nc.subscribe(self._ack_subject(command.command_id), max_msgs=1)
        try:
            try:
                await self.bus.nc.request(
                    self._cmd_subject(device_id), command.SerializeToString(), timeout=min(timeout, 5.0)
                )
            except NoRespondersError:
                raise CommandUndelivered(
                    f"device {device_id} is offline (no live gRPC stream or MQTT session); "
                    f"{command.name} was not delivered"
                ) from None
            except (NatsTimeout, TimeoutError):
                raise CommandUndelivered(f"{command.name} could not be handed to device {device_id}") from None
            try:
                msg = await acks.next_msg(timeout=max(deadline - loop.time(), 0.001))
            except (NatsTimeout, TimeoutError):
                raise CommandUndelivered(f"device {device_id} did not ack {command.name} within {timeout:g}s") from None
            return resources_pb2.CommandAck.FromString(msg.data)
        finally:
            await acks.unsubscribe()
