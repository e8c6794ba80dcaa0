"""Builds vision from its settings: the detector, the cameras and their rules, the bus and evidence store."""

import logging

from microbrain.vision.v1 import vision_service_pb2, vision_service_pb2_grpc
from microbrain_kit.alarms import ensure_alarm_stream
from microbrain_kit.bus import Bus, stream_name
from microbrain_kit.evidence import JetStreamEvidenceStore
from microbrain_kit.server import GrpcServer, Registration

from microbrain_vision.cameras import load_cameras
from microbrain_vision.config import VisionSettings
from microbrain_vision.detector import Detector, ModelConfig
from microbrain_vision.grpc_api import VisionServicer
from microbrain_vision.pipeline import DOMAIN, Pipeline
from microbrain_vision.sources import SourcePuller

log = logging.getLogger(__name__)
SERVICE_NAME = vision_service_pb2.DESCRIPTOR.services_by_name["VisionService"].full_name


class App:
    """Everything one vision replica runs."""

    def __init__(self, settings: VisionSettings) -> None:
        self.settings = settings
        self.cameras = load_cameras(settings.cameras)
        self.detector = Detector(
            ModelConfig(
                path=settings.model_path,
                input_size=settings.model_input_size,
                decoder=settings.model_decoder,
                score_threshold=settings.score_threshold,
            )
        )
        self.pipeline = Pipeline(self)
        self.grpc = GrpcServer(
            service=DOMAIN,
            registrations=[
                Registration(
                    vision_service_pb2_grpc.add_VisionServiceServicer_to_server, VisionServicer(self), SERVICE_NAME
                )
            ],
            host=settings.grpc_host,
            port=settings.grpc_port,
            max_message_bytes=settings.max_frame_bytes + 1024 * 1024,
        )

    async def start(self) -> None:
        grid = self.settings.grid_id
        self.bus = await Bus.connect(self.settings.nats_url, name=f"vision-{grid}")
        await self.bus.ensure_stream(stream_name(grid, DOMAIN), [f"mb.{grid}.{DOMAIN}.*"])
        await ensure_alarm_stream(self.bus, grid)
        self.evidence = JetStreamEvidenceStore(self.bus.js)
        self.pipeline.start()
        self.pullers = [SourcePuller(spec, self.pipeline) for spec in self.cameras.values() if spec.source]
        for puller in self.pullers:
            puller.start()
        self.port = await self.grpc.start()
        log.info("watching %d cameras with %s", len(self.cameras), self.detector.model_version)

    async def stop(self) -> None:
        await self.grpc.stop(self.settings.shutdown_grace_s)
        for puller in self.pullers:
            await puller.stop()
        await self.pipeline.stop()
        await self.bus.close()


async def build(settings: VisionSettings) -> App:
    """The runtime of `python -m microbrain_vision`."""
    return App(settings)
