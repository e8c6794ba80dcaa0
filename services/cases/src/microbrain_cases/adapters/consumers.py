"""The alarm consumer: every AlarmRaised on the grid's alarm stream becomes (or repeats) a case.

The case, its history and its outgoing events commit in one transaction before the message is acked;
a crash in between redelivers the alarm, which finds its case by alarm id and does nothing more.
"""

import logging
from datetime import UTC, datetime

from microbrain.alarms.v1 import alarms_pb2
from microbrain_kit import errors
from microbrain_kit.bus import Transient
from microbrain_kit.service import failpoint
from nats.aio.msg import Msg
from sqlalchemy.exc import IntegrityError

from microbrain_cases.domain import service

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
