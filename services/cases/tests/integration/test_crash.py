"""The cases process killed after committing a case and before acking its alarm: the alarm comes back
after the restart and finds its case; nothing is lost or doubled."""

import subprocess

import grpc
import pytest
from microbrain.cases.v1 import cases_service_pb2 as pb
from microbrain.cases.v1 import cases_service_pb2_grpc as pb_grpc
from microbrain_kit.testing import free_port


@pytest.fixture
def start_cases(settings, service_process):
    port = free_port()

    async def _start(**extra_env) -> subprocess.Popen:
        return await service_process(
            "microbrain_cases",
            port,
            MB_GRID_ID=settings.grid_id,
            MB_NATS_URL=settings.nats_url,
            MB_DATABASE_URL=settings.database_url,
            MB_DATABASE_SCHEMA=settings.database_schema,
            MB_GRPC_PORT=str(port),
            MB_METRICS_PORT="0",
            MB_CONSUMER_ACK_WAIT_S="1",
            **extra_env,
        )

    return _start, f"127.0.0.1:{port}"


async def test_killed_between_commit_and_ack_leaves_one_case(start_cases, raise_alarm, nc, h, settings):
    start, target = start_cases
    proc = await start(MB_FAILPOINTS="cases.after_commit")
    alarm = await raise_alarm()
    assert proc.wait(timeout=20) == 137  # died with the case committed and the alarm unacked

    await start()  # the alarm is redelivered to the new process

    async def settled():
        info = await nc.jetstream().consumer_info(f"mb-{settings.grid_id}-alarms", "cases")
        # delivered twice (once to the dead process), then acked
        done = info.num_ack_pending == 0 and info.num_pending == 0 and info.delivered.consumer_seq >= 2
        return info if done else None

    info = await h.eventually(settled, timeout=20)
    assert info, "the alarm was not redelivered and acked"
    async with grpc.aio.insecure_channel(target) as channel:
        stub = pb_grpc.CaseServiceStub(channel)
        [case] = (await stub.ListCases(pb.ListCasesRequest())).cases
        timeline = (await stub.GetTimeline(pb.GetTimelineRequest(case_id=case.case_id))).changes
    assert list(case.alarm_ids) == [alarm.meta.event_id] and case.occurrences == 1
    assert [c.action for c in timeline] == ["opened"]
    stream, subject = f"mb-{settings.grid_id}-cases", f"mb.{settings.grid_id}.cases.case_opened"
    opened = await h.eventually(lambda: h.subject_messages(nc, stream, subject))
    assert len(opened) == 1  # the outbox row survived the crash and went out once
