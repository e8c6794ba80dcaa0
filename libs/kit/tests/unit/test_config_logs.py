"""Settings fail fast with the variable's name; logs are JSON lines carrying the trace id."""

import io
import json
import logging

import pytest
from microbrain_kit.bus import stream_name, subject
from microbrain_kit.config import ServiceSettings, load_settings
from microbrain_kit.logs import JsonFormatter
from opentelemetry import trace


def test_missing_required_settings_exit_with_the_variable_names(monkeypatch, capsys):
    monkeypatch.delenv("MB_GRID_ID", raising=False)
    monkeypatch.delenv("MB_DATABASE_URL", raising=False)
    monkeypatch.setenv("MB_GRPC_PORT", "not-a-port")
    with pytest.raises(SystemExit) as exit_:
        load_settings(ServiceSettings)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "MB_GRID_ID: is required" in err and "MB_DATABASE_URL: is required" in err
    assert "MB_GRPC_PORT" in err


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("MB_GRID_ID", "jinhui-shanghong")
    monkeypatch.setenv("MB_DATABASE_URL", "sqlite+aiosqlite:///x.db")
    monkeypatch.setenv("MB_GRPC_PORT", "50051")
    settings = load_settings(ServiceSettings)
    assert (settings.grid_id, settings.grpc_port, settings.nats_url) == (
        "jinhui-shanghong",
        50051,
        "nats://127.0.0.1:4222",
    )


def test_log_lines_are_json_with_trace_ids_and_extra_fields():
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter("ingest"))
    logger = logging.getLogger("test.json")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    with trace.get_tracer("t").start_as_current_span("work") as span:
        logger.info("device %s registered", "lift-gdy22-a", extra={"device_id": "lift-gdy22-a"})
    line = json.loads(out.getvalue())
    assert line["msg"] == "device lift-gdy22-a registered" and line["service"] == "ingest"
    assert line["device_id"] == "lift-gdy22-a" and line["level"] == "INFO"
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")


def test_subjects_follow_the_scheme_and_refuse_wildcards():
    assert subject("jinhui-shanghong", "cases", "case_opened") == "mb.jinhui-shanghong.cases.case_opened"
    assert stream_name("jinhui-shanghong", "ingest") == "mb-jinhui-shanghong-ingest"
    for bad in ("a.b", "*", ">", "Upper", ""):
        with pytest.raises(ValueError):
            subject(bad, "ingest", "device_event")


def test_metrics_endpoint_serves_prometheus_text():
    import urllib.request

    from microbrain_kit.telemetry import start_metrics_server
    from microbrain_kit.testing import free_port
    from prometheus_client import Counter

    Counter("microbrain_test_things_total", "Things counted by this test.").inc(3)
    port = free_port()
    stop = start_metrics_server(port, host="127.0.0.1")
    try:
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    finally:
        stop()
    assert "microbrain_test_things_total 3.0" in body
    assert start_metrics_server(0) is None  # 0 turns the endpoint off
