"""NATS JetStream: streams per domain per grid, protobuf events with Nats-Msg-Id and trace headers,
and durable pull consumers with explicit ack."""

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import nats
from google.protobuf.message import DecodeError, Message
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import api
from nats.js.errors import NotFoundError
from opentelemetry import context as otel_context
from opentelemetry import trace
from prometheus_client import Counter

from microbrain_kit import telemetry

log = logging.getLogger(__name__)
tracer = trace.get_tracer("microbrain_kit.bus")

_TOKEN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")

CONSUMED = Counter(
    "microbrain_bus_messages_consumed_total",
    "Messages handled by durable consumers, by outcome (ack, nak, term, skip: a type the consumer does not handle).",
    ["consumer", "outcome"],
)


def subject(grid_id: str, domain: str, event: str) -> str:
    """The subject of an event: mb.<grid>.<domain>.<event>."""
    for token in (grid_id, domain, event):
        if not _TOKEN.match(token):
            raise ValueError(f"invalid subject token {token!r}: use lowercase letters, digits, '-', '_'")
    return f"mb.{grid_id}.{domain}.{event}"


def stream_name(grid_id: str, domain: str) -> str:
    """The JetStream stream holding one domain's events of one grid: mb-<grid>-<domain>."""
    return f"mb-{grid_id}-{domain}"


class Bus:
    """One NATS connection with its JetStream context."""

    def __init__(self, nc: NATS) -> None:
        self.nc = nc
        self.js = nc.jetstream()

    @classmethod
    async def connect(cls, url: str, name: str) -> "Bus":
        """Connects (failing after a few tries if the server is down), then reconnects forever."""

        async def on_error(exc: Exception) -> None:
            log.warning("nats: %s", exc)

        nc = await nats.connect(
            url,
            name=name,
            connect_timeout=5,
            allow_reconnect=True,
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
            error_cb=on_error,
        )
        return cls(nc)

    async def ensure_stream(
        self, name: str, subjects: list[str], *, duplicate_window_s: float = 600, max_age_s: float = 0
    ) -> api.StreamInfo:
        """Creates the stream, or updates its subjects and limits to these."""
        config = api.StreamConfig(
            name=name,
            subjects=subjects,
            storage=api.StorageType.FILE,
            retention=api.RetentionPolicy.LIMITS,
            duplicate_window=duplicate_window_s,
            max_age=max_age_s or None,
        )
        try:
            await self.js.stream_info(name)
        except NotFoundError:
            return await self.js.add_stream(config)
        return await self.js.update_stream(config)

    async def publish(self, subject: str, message: Message, *, msg_id: str) -> api.PubAck:
        """Publishes and waits until JetStream has stored it (or knows it as a duplicate)."""
        return await self.js.publish(subject, message.SerializeToString(), headers=self.headers(msg_id))

    async def publish_async(
        self, subject: str, message: Message, *, msg_id: str, trace: dict[str, str] | None = None
    ) -> asyncio.Future:
        """Publishes without waiting; the returned future resolves to the PubAck (pipelined publishing).

        trace: a trace carrier from telemetry.inject() to reuse (hot paths); the current context when None.
        """
        return await self.js.publish_async(subject, message.SerializeToString(), headers=self.headers(msg_id, trace))

    @staticmethod
    def headers(msg_id: str, trace: dict[str, str] | None = None) -> dict[str, str]:
        """Nats-Msg-Id for de-duplication plus the W3C trace context (current, or the given carrier)."""
        if trace is None:
            return telemetry.inject({"Nats-Msg-Id": msg_id})
        return {"Nats-Msg-Id": msg_id, **trace}

    async def close(self) -> None:
        """Drains subscriptions and pending publishes, then closes."""
        if not self.nc.is_closed:
            await self.nc.drain()


async def when_stream_exists(
    start: Callable[[], Awaitable[object]], stream: str, timeout_s: float | None = None
) -> None:
    """Runs start() (a consumer's or subscription's start) once the stream exists: another service owns and declares
    it, and may start later. Retries every second; NotFoundError after timeout_s when one is given."""
    loop = asyncio.get_running_loop()
    deadline = None if timeout_s is None else loop.time() + timeout_s
    waited = False
    while True:
        try:
            await start()
            return
        except NotFoundError:
            if deadline is not None and loop.time() > deadline:
                raise
            if not waited:
                log.info("waiting for stream %s", stream)
                waited = True
            await asyncio.sleep(1)


class Transient(Exception):
    """Raised by a handler for a failure worth retrying later (the message is nak'ed with a delay)."""


Handler = Callable[[Message, Msg], Awaitable[None]]
BatchHandler = Callable[[list[tuple[Message, Msg]]], Awaitable[None]]


@dataclass
class ConsumerSpec:
    """A durable pull consumer on one stream."""

    stream: str
    durable: str
    filter_subject: str
    message_type: type[Message]
    max_deliver: int = 10
    ack_wait_s: float = 30
    concurrency: int = 16
    batch: int = 64
    backoff_s: tuple[float, ...] = (0.5, 2, 10, 30)
    types: Callable[[str], type[Message] | None] | None = None
    """For a stream with several event types: the event name (the subject's last token) → the message type,
    or None for events this consumer does not handle (acked and skipped). message_type is then unused."""

    def decode(self, msg: Msg) -> Message | None:
        """The event in msg, or None when this consumer skips its type; DecodeError when it is not one."""
        cls = self.types(msg.subject.rsplit(".", 1)[-1]) if self.types else self.message_type
        return None if cls is None else cls.FromString(msg.data)


class Consumer:
    """Runs a handler for each message: ack after it returns, nak with backoff when it fails,
    term when the message can never be decoded."""

    def __init__(self, bus: Bus, spec: ConsumerSpec, handler: Handler) -> None:
        self.bus, self.spec, self.handler = bus, spec, handler
        self._sem = asyncio.Semaphore(spec.concurrency)
        self._tasks: set[asyncio.Task] = set()
        self._stopping = asyncio.Event()
        self._runner: asyncio.Task | None = None

    async def start(self) -> None:
        """Declares the durable consumer and starts fetching."""
        config = api.ConsumerConfig(
            durable_name=self.spec.durable,
            ack_policy=api.AckPolicy.EXPLICIT,
            max_deliver=self.spec.max_deliver,
            ack_wait=self.spec.ack_wait_s,
            filter_subject=self.spec.filter_subject,
        )
        self._sub = await self.bus.js.pull_subscribe(
            self.spec.filter_subject, durable=self.spec.durable, stream=self.spec.stream, config=config
        )
        self._runner = asyncio.create_task(self._run(), name=f"consumer-{self.spec.durable}")

    async def _fetch(self) -> list[Msg]:
        """The next batch; empty when none came within a second or the fetch failed (logged, after a pause)."""
        try:
            return await self._sub.fetch(self.spec.batch, timeout=1)
        except TimeoutError:
            return []
        except Exception as exc:
            if not self._stopping.is_set():
                log.warning("fetch failed on %s: %s", self.spec.durable, exc)
                await asyncio.sleep(1)
            return []

    async def _run(self) -> None:
        while not self._stopping.is_set():
            msgs = await self._fetch()
            for msg in msgs:
                await self._sem.acquire()
                task = asyncio.create_task(self._handle(msg))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _handle(self, msg: Msg) -> None:
        try:
            event = await _decoded(self.spec, msg)
            if event is None:
                return
            token = otel_context.attach(telemetry.extract(msg.headers))
            try:
                with tracer.start_as_current_span(f"consume {msg.subject}", kind=trace.SpanKind.CONSUMER):
                    await self.handler(event, msg)
                await msg.ack()
                CONSUMED.labels(self.spec.durable, "ack").inc()
            except Exception as exc:
                attempt = msg.metadata.num_delivered or 1
                delay = self.spec.backoff_s[min(attempt, len(self.spec.backoff_s)) - 1]
                level = logging.WARNING if isinstance(exc, Transient) else logging.ERROR
                log.log(
                    level,
                    "handler failed on %s (attempt %d), retry in %ss: %s",
                    msg.subject,
                    attempt,
                    delay,
                    exc,
                )
                await msg.nak(delay=delay)
                CONSUMED.labels(self.spec.durable, "nak").inc()
            finally:
                otel_context.detach(token)
        finally:
            self._sem.release()

    async def stop(self) -> None:
        """Stops fetching and waits for handlers in flight (their messages are acked or nak'ed)."""
        self._stopping.set()
        if self._runner:  # a fetch waiting for messages holds nothing: cancel it rather than wait it out
            self._runner.cancel()
            await asyncio.gather(self._runner, return_exceptions=True)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._sub.unsubscribe()


async def _decoded(spec: ConsumerSpec, msg: Msg) -> Message | None:
    """The message's event; None after acking a skipped type or terminating an undecodable message."""
    try:
        event = spec.decode(msg)
    except DecodeError:
        log.error("undecodable message on %s (seq %s): terminated", msg.subject, msg.metadata.sequence)
        await msg.term()
        CONSUMED.labels(spec.durable, "term").inc()
        return None
    if event is None:
        await msg.ack()
        CONSUMED.labels(spec.durable, "skip").inc()
    return event


class BatchConsumer(Consumer):
    """Like Consumer, but hands each fetched batch to the handler at once (one transaction for many events):
    all acked when it returns, all nak'ed with backoff when it fails. For folds such as roll-ups, where
    the handler must be idempotent per event (a redelivered batch may mix new and counted events)."""

    def __init__(self, bus: Bus, spec: ConsumerSpec, handler: BatchHandler) -> None:
        super().__init__(bus, spec, handler)  # type: ignore[arg-type]
        self.batch_handler = handler

    async def _run(self) -> None:
        while not self._stopping.is_set():
            msgs = await self._fetch()
            if not msgs:
                continue
            task = asyncio.create_task(self._handle_batch(msgs))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            await asyncio.shield(task)  # one batch at a time: batches stay in stream order

    async def _handle_batch(self, msgs: list[Msg]) -> None:
        events = [(event, msg) for msg in msgs if (event := await _decoded(self.spec, msg)) is not None]
        if not events:
            return
        with tracer.start_as_current_span(
            f"consume batch {self.spec.durable}", kind=trace.SpanKind.CONSUMER, attributes={"batch.size": len(events)}
        ):
            try:
                await self.batch_handler(events)
            except Exception as exc:
                attempt = max(msg.metadata.num_delivered or 1 for _, msg in events)
                delay = self.spec.backoff_s[min(attempt, len(self.spec.backoff_s)) - 1]
                log.log(
                    logging.WARNING if isinstance(exc, Transient) else logging.ERROR,
                    "batch handler failed on %s (%d events, attempt %d), retry in %ss: %s",
                    self.spec.durable,
                    len(events),
                    attempt,
                    delay,
                    exc,
                )
                await asyncio.gather(*(msg.nak(delay=delay) for _, msg in events))
                CONSUMED.labels(self.spec.durable, "nak").inc(len(events))
                return
        await asyncio.gather(*(msg.ack() for _, msg in events))
        CONSUMED.labels(self.spec.durable, "ack").inc(len(events))
