"""`microbrain up` puts each service on its default ports unless MB_<SERVICE>_GRPC_PORT / _METRICS_PORT move it."""

import pytest
from microbrain_cli.services import SERVICES, PortError, Service, with_env_ports


def test_defaults_without_variables_cases_after_ingest_and_vision_then_analytics_dispatch_registry():
    ingest, vision, cases, analytics, dispatch, registry = with_env_ports(SERVICES, {})

    assert (ingest.name, ingest.grpc_port, ingest.metrics_port) == ("ingest", 50051, 9101)
    assert (vision.name, vision.module, vision.grpc_port, vision.metrics_port) == (
        "vision",
        "microbrain_vision",
        50052,
        9102,
    )
    assert (vision.grpc_port_env, vision.metrics_port_env) == ("MB_VISION_GRPC_PORT", "MB_VISION_METRICS_PORT")
    assert (cases.name, cases.module, cases.grpc_port, cases.metrics_port) == ("cases", "microbrain_cases", 50053, 9103)
    assert (cases.grpc_port_env, cases.metrics_port_env) == ("MB_CASES_GRPC_PORT", "MB_CASES_METRICS_PORT")
    assert (analytics.name, analytics.module, analytics.grpc_port, analytics.metrics_port) == (
        "analytics",
        "microbrain_analytics",
        50055,
        9105,
    )
    assert analytics.grpc_port_env == "MB_ANALYTICS_GRPC_PORT"
    assert (dispatch.module, dispatch.grpc_port, dispatch.metrics_port) == ("microbrain_dispatch", 50054, 9104)
    assert dispatch.grpc_port_env == "MB_DISPATCH_GRPC_PORT"
    assert (registry.module, registry.grpc_port, registry.metrics_port) == ("microbrain_registry", 50056, 9106)


def test_each_service_reads_its_own_variables():
    services = (Service("ingest", 50051, 9101), Service("cases", 50052, 9102))
    env = {"MB_INGEST_GRPC_PORT": "6000", "MB_CASES_METRICS_PORT": " 0 "}

    ingest, cases = with_env_ports(services, env)

    assert (ingest.grpc_port, ingest.metrics_port) == (6000, 9101)
    assert (cases.grpc_port, cases.metrics_port) == (50052, 0)  # 0: no /metrics endpoint


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MB_INGEST_GRPC_PORT": "fifty"}, "MB_INGEST_GRPC_PORT='fifty' is not a port"),
        ({"MB_INGEST_GRPC_PORT": "0"}, "MB_INGEST_GRPC_PORT='0' is not a port: use a number from 1 to 65535"),
        ({"MB_INGEST_METRICS_PORT": "70000"}, "MB_INGEST_METRICS_PORT='70000' is not a port"),
        ({"MB_INGEST_METRICS_PORT": "50051"}, "port 50051 is given twice"),
    ],
)
def test_unusable_ports_are_refused_naming_the_variable(env, message):
    with pytest.raises(PortError, match=message):
        with_env_ports(SERVICES, env)
