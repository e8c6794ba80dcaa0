"""The vision service with the real detector on real photos: Detect, and the scenarios over StreamFrames."""

import asyncio
from datetime import UTC, datetime

import cv2
import grpc
import numpy as np
import pytest
from microbrain.alarms.v1 import alarms_pb2
from microbrain.vision.v1 import events_pb2
from microbrain.vision.v1 import vision_service_pb2 as pb
from microbrain_kit.testing import eventually, stream_messages
from skimage import data


async def test_detect_finds_the_person_in_the_astronaut_photo(stub, frames):
    reply = await stub.Detect(pb.DetectRequest(image=frames.jpeg(frames.bgr(data.astronaut()))))
    people = [d for d in reply.detections if d.class_name == "person"]
    assert people and people[0].score >= 0.35
    assert (reply.width, reply.height) == (512, 512) and reply.model_version.startswith("nanodet")


@pytest.mark.parametrize(
    ("image", "code"),
    [(b"not an image at all", grpc.StatusCode.INVALID_ARGUMENT), (b"", grpc.StatusCode.INVALID_ARGUMENT)],
)
async def test_detect_refuses_what_is_not_an_image(stub, image, code):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.Detect(pb.DetectRequest(image=image))
    assert err.value.code() == code


class Camera:
    """A camera's side of StreamFrames."""

    def __init__(self, stub, camera_id: str) -> None:
        self.call, self.camera_id, self.seq = stub.StreamFrames(), camera_id, 0

    async def send(self, image: bytes, camera_id: str | None = None, at: datetime | None = None) -> int:
        self.seq += 1
        request = pb.StreamFramesRequest(seq=self.seq, camera_id=camera_id or self.camera_id, image=image)
        request.captured_at.FromDatetime(at or datetime.now(UTC))
        await self.call.write(request)
        return self.seq

    async def frame(self, image: bytes, at: datetime | None = None) -> pb.StreamFramesResponse:
        seq = await self.send(image, at=at)
        while True:
            reply = await asyncio.wait_for(self.call.read(), 30)
            if reply.seq == seq:
                return reply


async def test_an_ebike_in_the_lift_car_alarms_with_a_snapshot_and_clears(app, stub, frames, nc, settings):
    camera = Camera(stub, "cam-gdy22-lift-a")
    bike, empty = frames.jpeg(frames.lift_car(True)), frames.jpeg(frames.lift_car(False))
    replies = [await camera.frame(bike) for _ in range(3)]
    assert any(d.class_name in {"motorcycle", "bicycle"} for d in replies[0].detections)
    assert [r.finding.kind for r in replies] == ["", "", "alarm"]  # 3 of the last 5 frames
    alarm_id = replies[-1].finding.alarm_id
    [msg] = await eventually(lambda: stream_messages(nc.jetstream(), f"mb-{settings.grid_id}-alarms"))
    alarm = alarms_pb2.AlarmRaised.FromString(msg.data)
    assert (alarm.type, alarm.source, alarm.place_id) == ("ebike_in_elevator", "vision", "gengduyuan-22")
    assert alarm.meta.event_id == alarm_id and alarm.device.device_id == "cam-gdy22-lift-a"
    ref, snapshot = await app.evidence.get(settings.grid_id, alarm.evidence[0].key)
    assert ref.content_type == "image/jpeg" and cv2.imdecode(np.frombuffer(snapshot, np.uint8), 1).shape == (
        480,
        640,
        3,
    )
    assert [(await camera.frame(bike)).finding.kind for _ in range(2)] == ["", ""]  # one alarm, not one per frame
    kinds = [(await camera.frame(empty)).finding.kind for _ in range(5)]
    assert kinds == ["", "", "", "", "cleared"]
    cleared = await eventually(
        lambda: stream_messages(
            nc.jetstream(), f"mb-{settings.grid_id}-vision", f"mb.{settings.grid_id}.vision.scenario_cleared"
        )
    )
    assert events_pb2.ScenarioCleared.FromString(cleared[0].data).alarm_id == alarm_id


async def test_people_in_a_crowd_zone_are_counted(stub, frames, nc, settings):
    camera = Camera(stub, "cam-aegean-atrium")
    reply = await camera.frame(frames.jpeg(frames.plaza(3)))
    assert reply.finding.kind == "observation" and reply.finding.counts["aegean-atrium"] == 3
    observed = await eventually(
        lambda: stream_messages(
            nc.jetstream(), f"mb-{settings.grid_id}-vision", f"mb.{settings.grid_id}.vision.crowd_observed"
        )
    )
    assert events_pb2.CrowdObserved.FromString(observed[0].data).counts["aegean-atrium"] == pytest.approx(3)


async def test_bad_frames_are_refused_in_their_reply_and_the_stream_goes_on(stub, frames):
    camera = Camera(stub, "cam-gdy22-lift-a")
    unknown_seq = await camera.send(frames.jpeg(frames.lift_car(False)), camera_id="cam-nowhere")
    garbage_seq = await camera.send(b"\x00\x01 not a jpeg")
    replies = {}
    while len(replies) < 2:
        reply = await asyncio.wait_for(camera.call.read(), 30)
        replies[reply.seq] = reply
    assert replies[unknown_seq].code == grpc.StatusCode.NOT_FOUND.value[0]
    assert "cam-nowhere" in replies[unknown_seq].message
    assert replies[garbage_seq].code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert (await camera.frame(frames.jpeg(frames.lift_car(False)))).code == 0


async def test_under_load_the_newest_frame_wins_and_every_frame_is_answered(stub, frames):
    camera = Camera(stub, "cam-gdy22-lift-a")
    image = frames.jpeg(frames.lift_car(False))
    sent = [await camera.send(image) for _ in range(30)]
    replies = {}
    while len(replies) < len(sent):
        reply = await asyncio.wait_for(camera.call.read(), 30)
        replies[reply.seq] = reply
    dropped = [s for s, r in replies.items() if r.dropped]
    assert dropped and replies[sent[-1]].dropped is False  # stale frames dropped, the newest processed
    assert all(r.code == 0 for r in replies.values())


def _apron(frames, bag: bool) -> bytes:
    """The garbage room's apron (the lower part of the frame), with a pile of the coffee photo's dark beans."""
    frame = np.full((480, 640, 3), (160, 160, 155), np.uint8)
    frame[300:, :] = (120, 118, 112)
    if bag:
        beans = frames.bgr(data.coffee())[250:400, 50:250]  # a real photo crop: dark, textured, bag-sized
        frame[330:430, 260:420] = cv2.resize(beans, (160, 100))
    return frames.jpeg(frame)


async def test_litter_left_on_the_apron_at_night_alarms_once(stub, frames, nc, settings):
    camera = Camera(stub, "cam-gdy-refuse-1")
    night = datetime(2026, 11, 26, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai, outside 07-09 and 18-20
    assert (await camera.frame(_apron(frames, False), at=night)).finding.kind == ""  # learns the empty apron
    kinds = [(await camera.frame(_apron(frames, True), at=night)).finding.kind for _ in range(8)]
    assert kinds.count("alarm") == 1  # the same pile does not alarm again and again
    [msg] = await eventually(lambda: stream_messages(nc.jetstream(), f"mb-{settings.grid_id}-alarms"))
    alarm = alarms_pb2.AlarmRaised.FromString(msg.data)
    assert (alarm.type, alarm.place_id) == ("litter_off_hours", "gengduyuan-refuse-1") and alarm.evidence


async def test_litter_during_disposal_hours_is_no_alarm(stub, frames):
    camera = Camera(stub, "cam-gdy-refuse-1")
    evening = datetime(2026, 11, 26, 10, 30, tzinfo=UTC)  # 18:30 in Shanghai: people bring their bags
    await camera.frame(_apron(frames, False), at=evening)
    assert {(await camera.frame(_apron(frames, True), at=evening)).finding.kind for _ in range(8)} == {""}


async def test_a_pulled_video_source_goes_through_the_same_rules(settings, frames, nc, tmp_path):
    """A camera configured with `source:` (here a video file, as an RTSP URL would be) needs no StreamFrames."""
    import yaml
    from microbrain_vision.wiring import App

    video = tmp_path / "lift.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 5, (640, 480))
    for _ in range(10):
        writer.write(frames.lift_car(True))
    writer.release()
    cameras = tmp_path / "cameras.yaml"
    cameras.write_text(
        yaml.safe_dump(
            {
                "cameras": [
                    {
                        "camera_id": "cam-gdy22-lift-a",
                        "place_id": "gengduyuan-22",
                        "scenario": "ebike_in_elevator",
                        "source": str(video),
                        "fps": 10,
                        "regions": {"lift_car_floor": [[60, 60], [580, 60], [620, 479], [20, 479]]},
                    }
                ]
            }
        )
    )
    app = App(settings.model_copy(update={"cameras": str(cameras)}))
    await app.start()
    try:
        [msg] = await eventually(lambda: stream_messages(nc.jetstream(), f"mb-{settings.grid_id}-alarms"), timeout=20)
        alarm = alarms_pb2.AlarmRaised.FromString(msg.data)
        assert (alarm.type, alarm.device.device_id) == ("ebike_in_elevator", "cam-gdy22-lift-a")
    finally:
        await app.stop()
