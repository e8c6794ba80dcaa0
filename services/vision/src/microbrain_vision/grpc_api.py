"""VisionService over gRPC."""

import asyncio
from datetime import UTC, datetime

import grpc
from microbrain.vision.v1 import vision_service_pb2 as pb
from microbrain.vision.v1 import vision_service_pb2_grpc as pb_grpc
from microbrain_kit import errors

from microbrain_vision.metrics import FRAMES
from microbrain_vision.pipeline import Frame, decode, to_proto
from microbrain_vision.rules import Box, Detection

_END = object()


class VisionServicer(pb_grpc.VisionServiceServicer):
    """The gRPC face of vision."""

    def __init__(self, app) -> None:  # app: microbrain_vision.wiring.App
        self.app = app

    async def Detect(self, request: pb.DetectRequest, context) -> pb.DetectResponse:
        self._check_size(len(request.image))
        image = await asyncio.to_thread(decode, request.image)
        if image is None:
            raise errors.InvalidArgument("image is not a JPEG or PNG this server can decode")
        [found] = await asyncio.to_thread(self.app.detector.detect, [image])
        detections = [to_proto(Detection(d.class_name, d.score, Box(*d.box))) for d in found]
        return pb.DetectResponse(
            detections=detections,
            model_version=self.app.detector.model_version,
            width=image.shape[1],
            height=image.shape[0],
        )

    async def ListCameras(self, request: pb.ListCamerasRequest, context) -> pb.ListCamerasResponse:
        return pb.ListCamerasResponse(
            cameras=[c.to_proto(self.app.settings.grid_id) for c in self.app.cameras.values()]
        )

    async def StreamFrames(self, request_iterator, context: grpc.aio.ServicerContext):
        out: asyncio.Queue = asyncio.Queue()
        pending = {"n": 0}
        answered = asyncio.Event()  # set whenever nothing sent is still waiting for its answer

        def reply(response: pb.StreamFramesResponse) -> None:
            pending["n"] -= 1
            if not pending["n"]:
                answered.set()
            out.put_nowait(response)

        async def read() -> None:
            try:
                async for request in request_iterator:
                    pending["n"] += 1
                    answered.clear()
                    refusal = self._refusal(request)
                    if refusal is not None:
                        FRAMES.labels(request.camera_id[:64] or "?", "refused").inc()
                        reply(refusal)
                        continue
                    captured = (
                        request.captured_at.ToDatetime(tzinfo=UTC)
                        if request.HasField("captured_at")
                        else datetime.now(UTC)
                    )
                    # Decoded here, in a thread, while the detector works on earlier frames.
                    image = await asyncio.to_thread(decode, request.image)
                    if image is None:
                        FRAMES.labels(request.camera_id, "refused").inc()
                        reply(
                            pb.StreamFramesResponse(
                                seq=request.seq,
                                code=grpc.StatusCode.INVALID_ARGUMENT.value[0],
                                message="image is not a JPEG or PNG this server can decode",
                            )
                        )
                        continue
                    self.app.pipeline.submit(Frame(request.camera_id, request.seq, captured, image, reply))
                if pending["n"]:  # the camera hung up: answer what it sent, then end
                    await answered.wait()
            finally:
                out.put_nowait(_END)

        reader = asyncio.create_task(read())
        try:
            while (item := await out.get()) is not _END:
                yield item
        finally:
            reader.cancel()

    def _refusal(self, request: pb.StreamFramesRequest) -> pb.StreamFramesResponse | None:
        if request.camera_id not in self.app.cameras:
            return pb.StreamFramesResponse(
                seq=request.seq,
                code=grpc.StatusCode.NOT_FOUND.value[0],
                message=f"camera {request.camera_id!r} is not configured here (ListCameras)",
            )
        try:
            self._check_size(len(request.image))
        except errors.DomainError as err:
            return pb.StreamFramesResponse(seq=request.seq, code=err.code.value[0], message=err.message)
        return None

    def _check_size(self, size: int) -> None:
        if not size:
            raise errors.InvalidArgument("image is empty")
        if size > self.app.settings.max_frame_bytes:
            raise errors.ResourceExhausted(f"image is {size} bytes; the limit is {self.app.settings.max_frame_bytes}")
