"""The alarm consumers: every AlarmRaised on the grid's alarm stream becomes (or repeats) a case, and an
AlarmCleared (a crowd back under its threshold) is noted on the alarm's case.

The case, its history and its outgoing events commit in one transaction before the message is acked;
a crash in between redelivers the alarm, which finds its case by alarm id and does nothing more.
"""

import logging
from datetime import UTC, datetime

from microbrain.alarms.v1 import alarms_pb2
from microbrain.cases.v1 import resources_pb2 as res
from microbrain_kit import errors
from microbrain_kit.bus import Transient
from microbrain_kit.service import failpoint
from nats.aio.msg import Msg
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from microbrain_cases.domain import service
from microbrain_cases.domain.models import CaseAlarm, CaseChangeRow

log = logging.getLogger(__name__)


class AlarmConsumer:
    """Handler for the kit's durable consumer."""

    def __init__(self, app) -> None:  # app: microbrain_cases.wiring.App
        self.app = app

    async def __call__(self, alarm: alarms_pb2.AlarmRaised, msg: Msg) -> None:
        try:
            opening = service.opening_from_alarm(alarm)
        except errors.InvalidArgument as exc:
            log.error("alarm on %s refused (dropped): %s", msg.subject, exc.message)
            return  # acked: redelivering it would never help
        if opening.grid_id != self.app.settings.grid_id:
            log.error("alarm %s is for grid %s, not ours (dropped)", opening.source_id, opening.grid_id)
            return
        try:
            async with self.app.sessions() as session:
                case, outcome = await service.open_case(
                    session=session, opening=opening, policies=self.app.policies, now=datetime.now(UTC)
                )
                await session.commit()
        except IntegrityError as exc:
            # Another replica (or handler) opened the same problem's case a moment ago: retry to attach.
            raise Transient(f"concurrent case for {opening.open_key}: {exc.orig}") from None
        failpoint("cases.after_commit")
        self.app.relay.notify()
        self.app.changed()
        log.info(
            "alarm %s %s case %s",
            opening.source_id,
            outcome,
            case.case_id,
            extra={"case_id": case.case_id, "case_type": case.case_type, "outcome": outcome},
        )


class ClearedConsumer:
    """Notes an AlarmCleared on the case its alarm fed ("人数回落至 700"), once; the case stays for a person to
    resolve. A clearing of an alarm no case knows is dropped."""

    def __init__(self, app) -> None:  # app: microbrain_cases.wiring.App
        self.app = app

    async def __call__(self, cleared: alarms_pb2.AlarmCleared, msg: Msg) -> None:
        text = f"告警已解除 (alarm cleared): {cleared.description or cleared.type}"
        async with self.app.sessions() as session:
            case_id = await session.scalar(select(CaseAlarm.case_id).where(CaseAlarm.alarm_id == cleared.alarm_id))
            if case_id is None:
                log.info("cleared alarm %s fed no case (dropped)", cleared.alarm_id)
                return
            notes = await session.scalars(
                select(CaseChangeRow.change).where(CaseChangeRow.case_id == case_id, CaseChangeRow.action == "note")
            )
            if any(res.CaseChange.FromString(n).note == text for n in notes):
                return  # a redelivery, or the same clearing of the episode's other alarm
            await service.add_note(
                session=session, case_id=case_id, actor=cleared.source or "alarms", text=text, now=datetime.now(UTC)
            )
            await session.commit()
        self.app.relay.notify()
        self.app.changed()
