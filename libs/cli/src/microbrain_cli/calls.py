"""What the `microbrain <service> …` commands share: one call to a service, and what to tell the user when it fails."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import grpc
from rich.console import Console
from rich.markup import escape


@dataclass(frozen=True)
class ServiceCalls:
    """How a command reaches one service: its name, the variable that moves it, its gRPC service and port."""

    name: str  # "analytics"
    target_env: str  # "MB_ANALYTICS_TARGET"
    grpc_service: str  # "microbrain.analytics.v1.AnalyticsService"
    default_target: str
    stub: type
    timeout_s: float

    def failure(self, target: str, code: grpc.StatusCode, details: str | None) -> str:
        """What to tell the user about a failed call (the exit code is 1 whatever it was)."""
        if code == grpc.StatusCode.UNAVAILABLE:
            return (
                f"{self.name} is not reachable at {target}: is `microbrain up` (`make run`) running? "
                f"Start it, or point --target / {self.target_env} at {self.name}"
            )
        if code == grpc.StatusCode.DEADLINE_EXCEEDED:
            return (
                f"{self.name} at {target} did not answer within the call's deadline ({self.timeout_s:.0f}s for a query)"
            )
        if code == grpc.StatusCode.UNIMPLEMENTED:
            return (
                f"{target} answered UNIMPLEMENTED ({details or 'no such method'}): is that the {self.name} port? "
                f"(`microbrain up` puts {self.grpc_service} on {self.default_target})"
            )
        if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
            return (
                f"{self.name} at {target} refused the call as too big ({details}): split the file and import the parts"
            )
        return f"{self.name} at {target} answered {code.name}: {details}"

    def fail(self, console: Console, target: str, error: grpc.aio.AioRpcError) -> int:
        """Tells the user why a call failed; returns the exit code (1)."""
        message = self.failure(target, error.code(), error.details())
        console.print(f"[bold red]microbrain {self.name}:[/] {escape(message)}", highlight=False)
        return 1

    async def unary(self, target: str, console: Console, call: Callable[[object], Awaitable[object]]):
        """Makes the calls `call` makes on a stub; returns (its result, 0), or (None, 1) after telling the user why."""
        async with grpc.aio.insecure_channel(target) as channel:
            try:
                return await call(self.stub(channel)), 0
            except grpc.aio.AioRpcError as e:
                return None, self.fail(console, target, e)
