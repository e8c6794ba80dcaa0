"""Analytics' runtime: batch consumers that fold every domain's stream into the roll-ups, the live crowd
tracker (its own ordered subscriptions, in every replica) with levels changed by compare-and-set, the KPI
snapshot loop, and the gRPC API."""

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from google.protobuf.message import DecodeError
from microbrain.alarms.v1 import alarms_pb2
from microbrain.analytics.v1 import analytics_service_pb2 as pb
from microbrain.analytics.v1 import analytics_service_pb2_grpc as pb_grpc
from microbrain.analytics.v1 import events_pb2 as events
from microbrain.analytics.v1 import resources_pb2 as res
from microbrain.common.v1 import common_pb2
from microbrain.ingest.v1 import events_pb2 as ingest_events
from microbrain.vision.v1 import events_pb2 as vision_events
from microbrain_kit import errors, telemetry
from microbrain_kit.alarms import ensure_alarm_stream
from microbrain_kit.bus import BatchConsumer, Bus, ConsumerSpec, stream_name, subject, when_stream_exists
from microbrain_kit.db import OutboxRelay, add_to_outbox, create_engine, migrate, session_factory
from microbrain_kit.server import GrpcServer, Registration
from microbrain_kit.times import as_utc, timestamp, utcnow
from nats.js import api
from nats.js.errors import NotFoundError
from opentelemetry import context as otel_context
from sqlalchemy import select, update

from microbrain_analytics import charts, crowd, rollup
from microbrain_analytics.config import AnalyticsSettings
from microbrain_analytics.metrics import COUNTED, LEVEL, OCCUPANCY, QUERY_SECONDS
from microbrain_analytics.models import ZoneLevel, outbox
from microbrain_analytics.places import Places, PlacesError, Zone, load_places
from microbrain_analytics.queries import Queries

log = logging.getLogger(__name__)
DOMAIN = "analytics"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SERVICE_NAME = pb.DESCRIPTOR.services_by_name["AnalyticsService"].full_name
L = res.CrowdLevel
ALARM_TYPE = "crowd_over_threshold"
MAX_IMPORT = 1000
LEVEL_NAMES = {L.CROWD_LEVEL_NORMAL: "正常", L.CROWD_LEVEL_WARNING: "预警", L.CROWD_LEVEL_CRITICAL: "告警"}


@dataclass
class Level:
    level: int = L.CROWD_LEVEL_NORMAL
    since: datetime | None = None
    alarm_ids: list[str] = field(default_factory=list)


class App:
    """Everything one analytics replica runs."""

    def __init__(self, settings: AnalyticsSettings, places: Places, tz: ZoneInfo) -> None:
        self.settings, self.places, self.tz = settings, places, tz
        self.grid = settings.grid_id
        self.engine = create_engine(settings.database_url, schema=settings.database_schema or None)
        self.sessions = session_factory(self.engine)
        self.queries = Queries(self.grid, tz, places)
        self.tracker = crowd.CrowdTracker(places.zones)
        self.levels: dict[str, Level] = {z: Level() for z in places.zones}
        self._level_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task] = []
        self._subs: list = []
        self.consumers: list[BatchConsumer] = []
        self.grpc = GrpcServer(
            service=DOMAIN,
            host=settings.grpc_host,
            port=settings.grpc_port,
            registrations=[Registration(pb_grpc.add_AnalyticsServiceServicer_to_server, Servicer(self), SERVICE_NAME)],
        )

    def fold(self) -> rollup.Fold:
        return rollup.Fold(self.grid, self.tz)

    async def start(self) -> None:
        await migrate(self.engine, MIGRATIONS, version_table="analytics_alembic_version")
        self.bus = await Bus.connect(self.settings.nats_url, name=f"analytics-{self.grid}")
        await self.bus.ensure_stream(stream_name(self.grid, DOMAIN), [f"mb.{self.grid}.{DOMAIN}.*"])
        await ensure_alarm_stream(self.bus, self.grid)
        self.relay = OutboxRelay(self.sessions, outbox, self.bus)
        self.relay.start()
        await self._load_levels()
        for domain in rollup.DOMAINS:
            consumer = BatchConsumer(
                self.bus,
                ConsumerSpec(
                    stream=stream_name(self.grid, domain),
                    durable="analytics",
                    filter_subject=f"mb.{self.grid}.{domain}.*",
                    message_type=alarms_pb2.AlarmRaised,
                    types=rollup.types_for(domain),
                    batch=self.settings.consumer_batch,
                    max_deliver=-1,
                ),
                self._folder(domain),
            )
            self.consumers.append(consumer)
            # The streams belong to the services whose events these are, which may start after analytics.
            self._spawn(when_stream_exists(consumer.start, consumer.spec.stream), f"consume-{domain}")
        if self.places.zones:
            self._spawn(when_stream_exists(self._watch_cameras, stream_name(self.grid, "vision")), "crowd-cam")
            self._spawn(when_stream_exists(self._watch_probes, stream_name(self.grid, "ingest")), "crowd-wifi")
        if self.settings.kpi_interval_s > 0:
            self._spawn(self._kpi_loop(), "kpi-snapshots")
        self._spawn(self._prune_loop(), "prune-seen")
        self.port = await self.grpc.start()

    def _spawn(self, coro, name: str) -> None:
        self._tasks.append(asyncio.create_task(coro, name=name))

    async def stop(self) -> None:
        await self.grpc.stop(self.settings.shutdown_grace_s)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for sub in self._subs:
            await sub.unsubscribe()
        for consumer in self.consumers:
            if consumer._runner is not None:
                await consumer.stop()
        await self.relay.stop()
        await self.bus.close()
        await self.engine.dispose()

    # -- roll-ups ---------------------------------------------------------------------------

    def _folder(self, domain: str):
        async def handle(batch) -> None:
            triples = [
                (domain, f"{domain}:{ev.meta.event_id or msg.metadata.sequence.stream}", ev) for ev, msg in batch
            ]
            async with self.sessions() as session:
                counted = await rollup.count_events(session, self.fold(), triples)
                await session.commit()
            COUNTED.labels(self.grid, domain).inc(counted)

        return handle

    async def import_alarms(self, alarms: list[alarms_pb2.AlarmRaised]) -> int:
        """Keeps the alarms on analytics' stream (a rebuild replays them), then counts those not counted yet."""
        to = subject(self.grid, DOMAIN, rollup.IMPORTED)
        try:
            acks = [await self.bus.publish_async(to, a, msg_id=f"imported-{a.meta.event_id}") for a in alarms]
            await asyncio.gather(*acks)
        except Exception as exc:
            raise errors.Unavailable(f"JetStream did not store the imported alarms: {exc}") from None
        async with self.sessions() as session:
            counted = await rollup.count_events(
                session, self.fold(), (("alarms", f"alarms:{a.meta.event_id}", a) for a in alarms)
            )
            await session.commit()
        COUNTED.labels(self.grid, "alarms").inc(counted)
        return counted

    async def rebuild(self) -> AsyncIterator[pb.RebuildResponse]:
        """Forgets the roll-ups and replays every stream of the grid into them."""
        async with self.sessions() as session:
            await rollup.forget_all(session, self.grid)
            await session.commit()
        for domain in rollup.REPLAYED:
            name = stream_name(self.grid, domain)
            try:
                info = await self.bus.js.stream_info(name)
            except NotFoundError:
                yield pb.RebuildResponse(stream=name, at=timestamp(utcnow()))
                continue
            total, last = info.state.messages, info.state.last_seq
            progress = pb.RebuildResponse(stream=name, total=total)
            if total:
                async for progress in self._replay(domain, name, total, last):
                    yield progress
            progress.at.CopyFrom(timestamp(utcnow()))
            progress.done = total
            yield progress

    async def _replay(self, domain: str, name: str, total: int, last: int) -> AsyncIterator[pb.RebuildResponse]:
        types = rollup.types_for(domain)
        sub = await self.bus.js.subscribe(
            f"mb.{self.grid}.{domain}.*", stream=name, ordered_consumer=True, deliver_policy=api.DeliverPolicy.ALL
        )
        done = counted = 0
        batch: list = []
        shown = 0.0
        try:
            while True:
                msg = await sub.next_msg(timeout=10)
                done += 1
                seq = msg.metadata.sequence.stream
                cls = types(msg.subject.rsplit(".", 1)[-1])
                if cls is not None:
                    try:
                        event = cls.FromString(msg.data)
                        batch.append((domain, rollup.event_key(domain, event, seq), event))
                    except DecodeError:
                        log.warning("rebuild: undecodable message %s seq %d skipped", name, seq)
                end = seq >= last
                if len(batch) >= 1000 or end:
                    async with self.sessions() as session:
                        counted += await rollup.count_events(session, self.fold(), batch)
                        await session.commit()
                    batch = []
                    if end or time.monotonic() - shown > 0.2:
                        shown = time.monotonic()
                        yield pb.RebuildResponse(
                            stream=name, done=min(done, total), total=total, counted=counted, at=timestamp(utcnow())
                        )
                if end:
                    return
        finally:
            await sub.unsubscribe()

    async def _prune_loop(self) -> None:
        keep = timedelta(days=self.settings.seen_retention_days)
        while True:
            try:
                async with self.sessions() as session:
                    pruned = await rollup.prune_seen(session, keep)
                    await session.commit()
                if pruned:
                    log.info("forgot %d counted event ids older than %s", pruned, keep)
            except Exception as exc:
                log.warning("pruning counted event ids failed: %s", exc)
            await asyncio.sleep(3600)

    async def _kpi_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.kpi_interval_s)
            try:
                async with self.sessions() as session:
                    kpis = await self.queries.kpis(session)
                now = utcnow()
                minute = int(now.timestamp() // self.settings.kpi_interval_s)
                event_id = f"kpi-{self.grid}-{minute}"
                meta = common_pb2.EventMeta(
                    event_id=event_id, grid_id=self.grid, occurred_at=timestamp(now), producer=DOMAIN
                )
                await self.bus.publish(
                    subject(self.grid, DOMAIN, "kpi_snapshot"),
                    events.KpiSnapshot(meta=meta, kpis=kpis),
                    msg_id=event_id,
                )
            except Exception as exc:
                log.warning("KPI snapshot not published: %s", exc)

    # -- crowd --------------------------------------------------------------------------------

    async def _load_levels(self) -> None:
        async with self.sessions() as session:
            rows = {r.zone_id: r for r in (await session.scalars(select(ZoneLevel))).all()}
            for zone_id in self.places.zones:
                row = rows.get(zone_id)
                if row is None:
                    session.add(
                        ZoneLevel(
                            zone_id=zone_id,
                            grid_id=self.grid,
                            level=L.CROWD_LEVEL_NORMAL,
                            since=utcnow(),
                            alarm_ids=[],
                            estimate=0.0,
                        )
                    )
                    self.levels[zone_id] = Level(L.CROWD_LEVEL_NORMAL, utcnow())
                else:
                    self.levels[zone_id] = Level(row.level, as_utc(row.since), list(row.alarm_ids))
                LEVEL.labels(self.grid, zone_id).set(self.levels[zone_id].level)
            try:
                await session.commit()
            except Exception:  # another replica added the rows first
                await session.rollback()

    def _start_time(self) -> datetime:
        return utcnow() - max(self.tracker.window, self.tracker.stale)

    async def _watch_cameras(self) -> None:
        config = api.ConsumerConfig(deliver_policy=api.DeliverPolicy.BY_START_TIME, opt_start_time=self._start_time())
        self._subs.append(
            await self.bus.js.subscribe(
                subject(self.grid, "vision", "crowd_observed"),
                stream=stream_name(self.grid, "vision"),
                ordered_consumer=True,
                config=config,
                cb=self._on_camera,
            )
        )

    async def _watch_probes(self) -> None:
        config = api.ConsumerConfig(deliver_policy=api.DeliverPolicy.BY_START_TIME, opt_start_time=self._start_time())
        self._subs.append(
            await self.bus.js.subscribe(
                subject(self.grid, "ingest", "device_event"),
                stream=stream_name(self.grid, "ingest"),
                ordered_consumer=True,
                config=config,
                cb=self._on_probe,
            )
        )

    async def _on_camera(self, msg) -> None:
        try:
            event = vision_events.CrowdObserved.FromString(msg.data)
        except DecodeError:
            return
        at = event.meta.occurred_at.ToDatetime(tzinfo=self.tz).astimezone(self.tz)
        await self._observed(msg, self.tracker.camera(event.camera_id, dict(event.counts), at), at)

    async def _on_probe(self, msg) -> None:
        try:
            event = ingest_events.DeviceEventRecorded.FromString(msg.data)
        except DecodeError:
            return
        if not event.event.HasField("wifi"):
            return
        wifi = event.event.wifi
        at = event.meta.occurred_at.ToDatetime(tzinfo=self.tz).astimezone(self.tz)
        zones = self.tracker.probe(
            event.device.device_id, wifi.zone_id, list(wifi.device_hashes), wifi.unique_devices, at
        )
        await self._observed(msg, zones, at)

    async def _observed(self, msg, zones: list[str], at: datetime) -> None:
        token = otel_context.attach(telemetry.extract(msg.headers))
        try:
            for zone_id in zones:
                await self.evaluate(zone_id, at)
        except Exception:
            log.exception("crowd evaluation failed")
        finally:
            otel_context.detach(token)

    async def evaluate(self, zone_id: str, at: datetime) -> None:
        """Re-estimates a zone after an observation and moves its level when a threshold is crossed."""
        occ = self.tracker.occupancy(zone_id, at)
        if not occ.sources:
            return
        OCCUPANCY.labels(self.grid, zone_id).set(occ.estimate)
        zone = self.places.zones[zone_id]
        if crowd.next_level(zone, self.levels[zone_id].level, occ.estimate) == self.levels[zone_id].level:
            return
        async with self._level_lock:
            await self._move_level(zone, occ, at)

    async def _move_level(self, zone: Zone, occ: res.ZoneOccupancy, at: datetime) -> None:
        async with self.sessions() as session:
            row = await session.get(ZoneLevel, zone.zone_id)
            old = Level(row.level, as_utc(row.since), list(row.alarm_ids))
            new_level = crowd.next_level(zone, old.level, occ.estimate)
            if new_level == old.level:  # another replica got there first
                self.levels[zone.zone_id] = old
                return
            new = Level(new_level, at, list(old.alarm_ids))
            alarms: list = []
            if old.level == L.CROWD_LEVEL_NORMAL:  # a new episode: its first alarm, at the level reached
                episode = f"crowd-{zone.zone_id}-{int(at.timestamp() * 1000)}"
                new.alarm_ids = [episode]
                alarms.append(self._alarm(zone, occ, new_level, episode, at))
            elif new_level == L.CROWD_LEVEL_CRITICAL:  # a surge within the episode: one more alarm (a repeat)
                alarm_id = f"{old.alarm_ids[0]}-critical-{len(old.alarm_ids)}"
                new.alarm_ids.append(alarm_id)
                alarms.append(self._alarm(zone, occ, new_level, alarm_id, at))
            elif new_level == L.CROWD_LEVEL_NORMAL:
                alarms.extend(self._cleared(zone, occ, alarm_id, at) for alarm_id in old.alarm_ids)
                new.alarm_ids = []
            moved = await session.execute(
                update(ZoneLevel)
                .where(ZoneLevel.zone_id == zone.zone_id, ZoneLevel.level == old.level)
                .values(level=new.level, since=at, alarm_ids=new.alarm_ids, estimate=occ.estimate)
            )
            if moved.rowcount != 1:
                await session.rollback()
                return
            for alarm in alarms:
                name = "raised" if isinstance(alarm, alarms_pb2.AlarmRaised) else "cleared"
                await add_to_outbox(session, outbox, subject(self.grid, "alarms", name), alarm, alarm.meta.event_id)
            occ.level, occ.alarm_id = new.level, (new.alarm_ids or [""])[0]
            occ.level_since.CopyFrom(timestamp(at))
            change_id = f"crowd-level-{zone.zone_id}-{int(at.timestamp() * 1000)}-{new.level}"
            await add_to_outbox(
                session,
                outbox,
                subject(self.grid, DOMAIN, "crowd_level_changed"),
                events.CrowdLevelChanged(
                    meta=self._meta(change_id, at), occupancy=occ, from_level=old.level, to_level=new.level
                ),
                change_id,
            )
            await session.commit()
        self.levels[zone.zone_id] = new
        LEVEL.labels(self.grid, zone.zone_id).set(new.level)
        self.relay.notify()
        log.info(
            "crowd zone %s: %s → %s at %.0f people",
            zone.zone_id,
            L.Name(old.level),
            L.Name(new.level),
            occ.estimate,
            extra={"zone_id": zone.zone_id, "alarm_ids": new.alarm_ids or old.alarm_ids},
        )

    def _meta(self, event_id: str, at: datetime) -> common_pb2.EventMeta:
        meta = common_pb2.EventMeta(
            event_id=event_id, grid_id=self.grid, occurred_at=timestamp(at), recorded_at=timestamp(utcnow())
        )
        meta.producer = DOMAIN
        carrier = telemetry.inject({})
        if "traceparent" in carrier:
            meta.trace.traceparent = carrier["traceparent"]
            meta.trace.tracestate = carrier.get("tracestate", "")
        return meta

    def _alarm(self, zone: Zone, occ: res.ZoneOccupancy, level: int, alarm_id: str, at: datetime):
        critical = level == L.CROWD_LEVEL_CRITICAL
        threshold = zone.critical if critical else zone.warning
        alarm = alarms_pb2.AlarmRaised(
            meta=self._meta(alarm_id, at),
            type=ALARM_TYPE,
            severity=common_pb2.SEVERITY_CRITICAL if critical else common_pb2.SEVERITY_WARNING,
            source=DOMAIN,
            place_id=zone.place_id,
            title=f"大客流{LEVEL_NAMES[level]} · {zone.name} 约 {occ.estimate:.0f} 人",
            description=(
                f"{zone.name} 估计 {occ.estimate:.0f} 人，达到{LEVEL_NAMES[level]}阈值 {threshold:.0f}"
                f"（摄像头 {occ.camera_count:.0f} 人 / 覆盖 {occ.camera_coverage:.0%}，"
                f"Wi-Fi {occ.wifi_distinct_devices} 台手机 ÷ {occ.phone_share:g}；来源 {occ.sources}）"
            ),
            attributes={
                "zone_id": zone.zone_id,
                "estimate": f"{occ.estimate:.0f}",
                "level": L.Name(level),
                "threshold": f"{threshold:g}",
                "sources": occ.sources,
            },
        )
        place = self.places.places.get(zone.place_id)
        if place is not None and place.at is not None:
            alarm.location.lat, alarm.location.lon = place.at
        return alarm

    def _cleared(self, zone: Zone, occ: res.ZoneOccupancy, alarm_id: str, at: datetime):
        return alarms_pb2.AlarmCleared(
            meta=self._meta(f"{alarm_id}-cleared", at),
            alarm_id=alarm_id,
            type=ALARM_TYPE,
            source=DOMAIN,
            place_id=zone.place_id,
            description=(
                f"{zone.name} 人数回落至 {occ.estimate:.0f}（预警 {zone.warning:g}，"
                f"回落线 {zone.warning * (1 - zone.hysteresis):g}）"
            ),
            attributes={"zone_id": zone.zone_id, "estimate": f"{occ.estimate:.0f}"},
        )

    def occupancy(self, zone_ids: list[str]) -> list[res.ZoneOccupancy]:
        for zone_id in zone_ids:
            if zone_id not in self.places.zones:
                raise errors.NotFound(f"crowd zone {zone_id!r} is not configured for grid {self.grid}")
        now = utcnow()
        out = []
        for zone_id in zone_ids or sorted(self.places.zones):
            occ = self.tracker.occupancy(zone_id, now)
            level = self.levels[zone_id]
            occ.level = level.level
            if level.since:
                occ.level_since.CopyFrom(timestamp(level.since))
            occ.alarm_id = (level.alarm_ids or [""])[0]
            out.append(occ)
        return out


class _Timed:
    def __init__(self, query: str) -> None:
        self.query = query

    def __enter__(self) -> None:
        self.t0 = time.perf_counter()

    def __exit__(self, *exc) -> None:
        QUERY_SECONDS.labels(self.query).observe(time.perf_counter() - self.t0)


class Servicer(pb_grpc.AnalyticsServiceServicer):
    """The gRPC face of analytics."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def GetAlarmTrend(self, request, context) -> pb.GetAlarmTrendResponse:
        with _Timed("trend"):
            async with self.app.sessions() as session:
                return pb.GetAlarmTrendResponse(trend=await self.app.queries.alarm_trend(session, request))

    async def GetDumpingProfile(self, request, context) -> pb.GetDumpingProfileResponse:
        with _Timed("profile"):
            async with self.app.sessions() as session:
                return pb.GetDumpingProfileResponse(rooms=await self.app.queries.dumping_profile(session, request))

    async def GetCrowdOccupancy(self, request, context) -> pb.GetCrowdOccupancyResponse:
        return pb.GetCrowdOccupancyResponse(zones=self.app.occupancy(list(request.zone_ids)))

    async def GetSlaCompliance(self, request, context) -> pb.GetSlaComplianceResponse:
        with _Timed("sla"):
            async with self.app.sessions() as session:
                return pb.GetSlaComplianceResponse(rows=await self.app.queries.sla_compliance(session, request))

    async def GetKpis(self, request, context) -> pb.GetKpisResponse:
        with _Timed("kpis"):
            async with self.app.sessions() as session:
                return pb.GetKpisResponse(kpis=await self.app.queries.kpis(session))

    async def RenderChart(self, request, context) -> pb.RenderChartResponse:
        fmt = {pb.FORMAT_UNSPECIFIED: "svg", pb.FORMAT_SVG: "svg", pb.FORMAT_PNG: "png"}.get(request.format)
        if fmt is None:
            raise errors.InvalidArgument(f"format {request.format} is not FORMAT_SVG or FORMAT_PNG")
        lang = request.language or "zh-CN"
        width, height = request.width or 960, request.height or 480
        if not (200 <= width <= 4000 and 150 <= height <= 4000):
            raise errors.InvalidArgument(f"size {width}×{height} is outside 200×150 .. 4000×4000 pixels")
        async with self.app.sessions() as session:
            if request.chart == pb.CHART_TREND:
                query = pb.GetAlarmTrendRequest()
                query.CopyFrom(request.trend)
                query.language = lang
                trend = await self.app.queries.alarm_trend(session, query)
                draw = lambda: charts.render_trend(trend, fmt=fmt, language=lang, width=width, height=height)  # noqa: E731
            elif request.chart == pb.CHART_PROFILE:
                query = pb.GetDumpingProfileRequest()
                query.CopyFrom(request.profile)
                query.language = lang
                rooms = await self.app.queries.dumping_profile(session, query)
                if not rooms:
                    raise errors.NotFound(f"grid {self.app.grid} has no garbage rooms configured (MB_PLACES)")
                draw = lambda: charts.render_profile(rooms[0], fmt=fmt, language=lang, width=width, height=height)  # noqa: E731
            else:
                raise errors.InvalidArgument("chart must be CHART_TREND or CHART_PROFILE")
        try:
            data = await asyncio.to_thread(draw)
        except ValueError as exc:
            raise errors.InvalidArgument(str(exc)) from None
        return pb.RenderChartResponse(content_type=charts.CONTENT_TYPES[fmt], data=data)

    async def ImportAlarms(self, request_iterator, context) -> pb.ImportAlarmsResponse:
        out = pb.ImportAlarmsResponse()
        n = 0
        async for request in request_iterator:
            n += 1
            before = f"{out.imported} imported and {out.skipped} skipped before it"
            if len(request.alarms) > MAX_IMPORT:
                raise errors.InvalidArgument(
                    f"message {n} holds {len(request.alarms)} alarms, at most {MAX_IMPORT} are allowed ({before})"
                )
            for i, alarm in enumerate(request.alarms):
                problem = (
                    "meta.event_id is empty"
                    if not alarm.meta.event_id
                    else "meta.occurred_at is missing"
                    if not alarm.meta.HasField("occurred_at")
                    else "type is empty"
                    if not alarm.type
                    else f"it belongs to grid {alarm.meta.grid_id}, not {self.app.grid}"
                    if alarm.meta.grid_id not in ("", self.app.grid)
                    else ""
                )
                if problem:
                    raise errors.InvalidArgument(f"message {n}, alarm {i}: {problem} ({before}; this message none)")
            counted = await self.app.import_alarms(list(request.alarms))
            out.imported += counted
            out.skipped += len(request.alarms) - counted
        return out

    async def Rebuild(self, request, context) -> AsyncIterator[pb.RebuildResponse]:
        async for progress in self.app.rebuild():
            yield progress


async def build(settings: AnalyticsSettings) -> App:
    """The runtime of `python -m microbrain_analytics`; a bad MB_PLACES or MB_TIME_ZONE stops it at start."""
    try:
        tz = ZoneInfo(settings.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SystemExit(
            f"MB_TIME_ZONE={settings.time_zone!r} is not a time zone (for example Asia/Shanghai)"
        ) from None
    try:
        places = load_places(settings.places, settings.grid_id)
    except PlacesError as exc:
        raise SystemExit(f"MB_PLACES: {exc}") from None
    log.info("%d places, %d crowd zones, time zone %s", len(places.places), len(places.zones), tz.key)
    return App(settings, places, tz)
