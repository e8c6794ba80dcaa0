"""The registry as a running service on a real database and nats-server, through gRPC: every kind's life, the
rules a caller meets (bad fields, versions, references), lists, events, progress, the service circle, follow-ups,
spreadsheet import and export, and the migrations against the models."""

import asyncio
import csv
import io
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from microbrain.common.v1 import common_pb2
from microbrain.registry.v1 import events_pb2 as events
from microbrain.registry.v1 import registry_service_pb2 as pb
from microbrain.registry.v1 import registry_service_pb2_grpc as pb_grpc
from microbrain.registry.v1 import resources_pb2 as res
from microbrain_kit.testing import eventually, free_port, migration_drift, stream_messages
from microbrain_registry.app import MIGRATIONS
from microbrain_registry.models import Base

from .conftest import SHANGHAI, at, building, firm, partner, project, station, target

S = grpc.StatusCode


async def refused(call) -> grpc.aio.AioRpcError:
    """The error a call ends with (fails the test when it succeeds)."""
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call
    return info.value


def ts(dt: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(dt)
    return out


# ---------------------------------------------------------------- every kind's life

# kind → (builder, a change to make, the plural)
KINDS = {
    "project": (project, lambda r: setattr(r, "owner", "民生办"), "projects"),
    "station": (station, lambda r: r.services.append("职工之家"), "stations"),
    "partner": (partner, lambda r: setattr(r, "contact_phone", "021-6000 0000"), "partners"),
    "building": (building, lambda r: setattr(r, "address", "吴中路 1599 号 A 座"), "buildings"),
    "firm": (firm, lambda r: setattr(r, "industry", "化妆品研发"), "firms"),
    "target": (target, lambda r: setattr(r, "actual", 70), "targets"),
}


class Api:
    """The five rpcs of one kind, by name: CreateProject(project=…), GetProject(project_id=…), …"""

    def __init__(self, stub, kind: str) -> None:
        self.stub, self.kind = stub, kind
        self.title, self.plural = kind.capitalize(), KINDS[kind][2]

    def _call(self, verb: str, plural: bool = False, **fields):
        name = f"{verb}{self.plural.capitalize() if plural else self.title}"
        return getattr(self.stub, name)(getattr(pb, f"{name}Request")(**fields))

    async def create(self, record, actor="zhang"):
        return getattr(await self._call("Create", **{self.kind: record}, actor=actor), self.kind)

    async def get(self, record_id):
        return getattr(await self._call("Get", **{f"{self.kind}_id": record_id}), self.kind)

    async def list(self, **fields):
        return await self._call("List", plural=True, **fields)

    async def update(self, record, actor="li"):
        return getattr(await self._call("Update", **{self.kind: record}, actor=actor), self.kind)

    def delete(self, record_id, version, actor="li"):
        return self._call("Delete", **{f"{self.kind}_id": record_id}, version=version, actor=actor)


@pytest.mark.parametrize("kind", list(KINDS))
async def test_every_kind_is_created_read_listed_updated_and_deleted(registry, kind):
    _, stub = registry
    api, (make, change, plural) = Api(stub, kind), KINDS[kind]
    record = make()
    record_id = getattr(record, f"{kind}_id")
    record.meta.version, record.meta.created_by = 7, "mallory"  # the server's to set

    created = await api.create(record)
    m = created.meta
    assert (m.version, m.created_by, m.updated_by) == (1, "zhang", "zhang")
    assert m.created_at == m.updated_at and abs(m.created_at.ToDatetime(UTC) - datetime.now(UTC)).total_seconds() < 60
    assert await api.get(record_id) == created
    listed = await api.list()
    assert list(getattr(listed, plural)) == [created] and listed.total_size == 1

    edited = type(created)()
    edited.CopyFrom(created)
    change(edited)
    updated = await api.update(edited)
    assert (updated.meta.version, updated.meta.updated_by, updated.meta.created_by) == (2, "li", "zhang")
    assert updated.meta.created_at == created.meta.created_at
    expected = type(created)()
    expected.CopyFrom(edited)
    expected.ClearField("meta")
    got = type(created)()
    got.CopyFrom(updated)
    got.ClearField("meta")
    if kind == "target":
        expected.share = got.share  # output: 70 / 66.5
        expected.met = True
    assert got == expected
    assert await api.get(record_id) == updated

    err = await refused(api.update(edited))  # still at version 1
    assert err.code() == S.ABORTED
    assert err.details() == (
        f"{kind} {record_id} is at version 2, you sent version 1: reload it and apply your change again"
    )
    assert (await refused(api.delete(record_id, 1))).code() == S.ABORTED
    await api.delete(record_id, 2)
    err = await refused(api.get(record_id))
    assert (err.code(), err.details()) == (S.NOT_FOUND, f"{kind} {record_id!r} is not in the registry")
    assert (await refused(api.delete(record_id, 2))).code() == S.NOT_FOUND
    assert (await api.list()).total_size == 0
    assert (await api.create(make())).meta.version == 1  # the id is free again


async def test_bad_records_are_refused_naming_the_field(registry):
    _, stub = registry
    bad_place = station()
    bad_place.location.lat = 191
    err = await refused(stub.CreateStation(pb.CreateStationRequest(station=bad_place, actor="zhang")))
    assert (err.code(), err.details()) == (S.INVALID_ARGUMENT, "location.lat 191 is not a latitude (-90..90)")

    negative = project(target=res.Target(value=-5, unit="台"))
    err = await refused(stub.CreateProject(pb.CreateProjectRequest(project=negative, actor="zhang")))
    assert (err.code(), err.details()) == (S.INVALID_ARGUMENT, "target.value -5 is negative")

    err = await refused(stub.CreateFirm(pb.CreateFirmRequest(firm=firm(building_id="b-nowhere"), actor="zhang")))
    assert (err.code(), err.details()) == (S.INVALID_ARGUMENT, "building_id 'b-nowhere' is not in the registry")

    await stub.CreatePartner(pb.CreatePartnerRequest(partner=partner(), actor="zhang"))
    lost = station(partner_ids=["p-huarun", "p-gone"])
    err = await refused(stub.CreateStation(pb.CreateStationRequest(station=lost, actor="zhang")))
    assert (err.code(), err.details()) == (S.INVALID_ARGUMENT, "partner_ids[1] 'p-gone' is not in the registry")

    err = await refused(stub.CreateProject(pb.CreateProjectRequest(project=project(project_id="LP 1"), actor="zhang")))
    assert err.code() == S.INVALID_ARGUMENT and err.details().startswith("project_id 'LP 1' is not an id")

    err = await refused(stub.CreateProject(pb.CreateProjectRequest(project=project())))
    assert (err.code(), err.details()) == (
        S.INVALID_ARGUMENT,
        "actor is empty: say who makes the change (a person's id)",
    )
    await stub.CreateProject(pb.CreateProjectRequest(project=project(), actor="zhang"))
    err = await refused(stub.CreateProject(pb.CreateProjectRequest(project=project(), actor="zhang")))
    assert (err.code(), err.details()) == (S.ALREADY_EXISTS, "project 'lp-2026-lifts' is already in the registry")
    err = await refused(stub.UpdateProject(pb.UpdateProjectRequest(project=project(), actor="li")))
    assert (err.code(), err.details()) == (
        S.INVALID_ARGUMENT,
        "meta.version is missing: send the version you read the record at",
    )
    unknown = project(project_id="lp-nowhere")
    unknown.meta.version = 1
    err = await refused(stub.UpdateProject(pb.UpdateProjectRequest(project=unknown, actor="li")))
    assert (err.code(), err.details()) == (S.NOT_FOUND, "project 'lp-nowhere' is not in the registry")
    err = await refused(stub.ListBuildings(pb.ListBuildingsRequest(kind=42)))
    assert err.code() == S.INVALID_ARGUMENT and err.details().startswith("kind 42 is not one of")


# ---------------------------------------------------------------- versions


async def test_two_clients_read_the_same_version_and_the_second_change_is_refused(replicas):
    (_, alice), (_, bob) = await replicas(2)
    await alice.CreateProject(pb.CreateProjectRequest(project=project(), actor="zhang"))
    read_a = (await alice.GetProject(pb.GetProjectRequest(project_id="lp-2026-lifts"))).project
    read_b = (await bob.GetProject(pb.GetProjectRequest(project_id="lp-2026-lifts"))).project
    assert read_a.meta.version == read_b.meta.version == 1

    read_a.status = res.PROJECT_STATUS_COMPLETED
    won = (await alice.UpdateProject(pb.UpdateProjectRequest(project=read_a, actor="alice"))).project
    read_b.owner = "民生办"
    err = await refused(bob.UpdateProject(pb.UpdateProjectRequest(project=read_b, actor="bob")))
    assert err.code() == S.ABORTED
    assert err.details() == (
        "project lp-2026-lifts is at version 2, you sent version 1: reload it and apply your change again"
    )
    kept = (await bob.GetProject(pb.GetProjectRequest(project_id="lp-2026-lifts"))).project
    assert kept == won
    assert (kept.status, kept.owner, kept.meta.version, kept.meta.updated_by) == (
        res.PROJECT_STATUS_COMPLETED,
        "城建办",
        2,
        "alice",
    )
    # Bob reloads and applies his change again: both changes are kept.
    kept.owner = "民生办"
    again = (await bob.UpdateProject(pb.UpdateProjectRequest(project=kept, actor="bob"))).project
    assert (again.status, again.owner, again.meta.version) == (res.PROJECT_STATUS_COMPLETED, "民生办", 3)


async def test_concurrent_updates_from_one_version_exactly_one_wins_across_replicas(replicas):
    (_, one), (_, two) = await replicas(2)
    await one.CreateBuilding(pb.CreateBuildingRequest(building=building(), actor="zhang"))
    read = (await one.GetBuilding(pb.GetBuildingRequest(building_id="b-wanxiang"))).building

    def edit(n: int) -> pb.UpdateBuildingRequest:
        b = res.Building()
        b.CopyFrom(read)
        b.address = f"吴中路 1599 号 {n} 座"
        return pb.UpdateBuildingRequest(building=b, actor=f"editor-{n}")

    calls = [(one if n % 2 else two).UpdateBuilding(edit(n)) for n in range(8)]
    results = await asyncio.gather(*calls, return_exceptions=True)
    won = [r for r in results if not isinstance(r, Exception)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 1, results
    assert {e.code() for e in lost} == {S.ABORTED}
    assert all("is at version 2, you sent version 1" in e.details() for e in lost)
    final = (await two.GetBuilding(pb.GetBuildingRequest(building_id="b-wanxiang"))).building
    assert final == won[0].building and final.meta.version == 2


async def test_deletes_check_versions_and_what_still_names_the_record(registry):
    _, stub = registry
    await stub.CreateBuilding(pb.CreateBuildingRequest(building=building(), actor="zhang"))
    await stub.CreatePartner(pb.CreatePartnerRequest(partner=partner(), actor="zhang"))
    await stub.CreateFirm(pb.CreateFirmRequest(firm=firm(building_id="b-wanxiang"), actor="zhang"))
    s = station(building_id="b-wanxiang", partner_ids=["p-huarun"])
    await stub.CreateStation(pb.CreateStationRequest(station=s, actor="zhang"))

    err = await refused(stub.DeleteBuilding(pb.DeleteBuildingRequest(building_id="b-wanxiang", version=1, actor="li")))
    assert (err.code(), err.details()) == (
        S.FAILED_PRECONDITION,
        "building b-wanxiang is still named by firms f-estee and stations s-wanxiang: change or delete them first",
    )
    err = await refused(stub.DeletePartner(pb.DeletePartnerRequest(partner_id="p-huarun", version=1, actor="li")))
    assert err.code() == S.FAILED_PRECONDITION and "stations s-wanxiang" in err.details()
    err = await refused(stub.DeleteFirm(pb.DeleteFirmRequest(firm_id="f-estee", version=3, actor="li")))
    assert (err.code(), err.details()) == (
        S.ABORTED,
        "firm f-estee is at version 1, you sent version 3: reload it and apply your change again",
    )
    err = await refused(stub.DeleteFirm(pb.DeleteFirmRequest(firm_id="f-estee", actor="li")))
    assert err.code() == S.INVALID_ARGUMENT
    await stub.DeleteFirm(pb.DeleteFirmRequest(firm_id="f-estee", version=1, actor="li"))
    await stub.DeleteStation(pb.DeleteStationRequest(station_id="s-wanxiang", version=1, actor="li"))
    await stub.DeleteBuilding(pb.DeleteBuildingRequest(building_id="b-wanxiang", version=1, actor="li"))
    await stub.DeletePartner(pb.DeletePartnerRequest(partner_id="p-huarun", version=1, actor="li"))

    # A project's progress goes with it.
    await stub.CreateProject(pb.CreateProjectRequest(project=project(), actor="zhang"))
    entry = res.ProgressEntry(project_id="lp-2026-lifts", date="2026-03-01", kind=res.PROGRESS_KIND_ADD, value=10)
    await stub.AddProgress(pb.AddProgressRequest(entry=entry, actor="zhang"))
    await stub.DeleteProject(pb.DeleteProjectRequest(project_id="lp-2026-lifts", version=1, actor="li"))
    err = await refused(stub.ListProgress(pb.ListProgressRequest(project_id="lp-2026-lifts")))
    assert err.code() == S.NOT_FOUND
    await stub.CreateProject(pb.CreateProjectRequest(project=project(), actor="zhang"))
    assert list((await stub.ListProgress(pb.ListProgressRequest(project_id="lp-2026-lifts"))).entries) == []


# ---------------------------------------------------------------- lists


async def test_paging_walks_every_record_once(registry):
    _, stub = registry
    for chunk in range(0, 250, 25):
        await asyncio.gather(
            *(
                stub.CreatePartner(pb.CreatePartnerRequest(partner=partner(f"p-{i:03d}", name=f"单位 {i}"), actor="z"))
                for i in range(chunk, chunk + 25)
            )
        )
    seen, token, sizes = [], "", []
    while True:
        reply = await stub.ListPartners(
            pb.ListPartnersRequest(page=common_pb2.PageRequest(page_size=100, page_token=token))
        )
        assert reply.total_size == 250
        sizes.append(len(reply.partners))
        seen += [p.partner_id for p in reply.partners]
        token = reply.page.next_page_token
        if not token:
            break
    assert sizes == [100, 100, 50]
    assert seen == [f"p-{i:03d}" for i in range(250)]
    assert len((await stub.ListPartners(pb.ListPartnersRequest())).partners) == 100  # the default page
    everything = await stub.ListPartners(pb.ListPartnersRequest(page=common_pb2.PageRequest(page_size=5000)))
    assert len(everything.partners) == 250 and not everything.page.next_page_token
    for bad in ("not a token!", "Zm9vIGJhcg"):  # not base64; base64 of "foo bar", not an id
        err = await refused(stub.ListPartners(pb.ListPartnersRequest(page=common_pb2.PageRequest(page_token=bad))))
        assert err.code() == S.INVALID_ARGUMENT and "page_token" in err.details()


async def test_query_and_filters(registry):
    _, stub = registry
    add = [
        stub.CreateProject(pb.CreateProjectRequest(project=project(), actor="z")),
        stub.CreateProject(
            pb.CreateProjectRequest(
                project=project(
                    "lp-canteen", name='"一顿饭"工程 社区食堂 2.0', category="养老助餐", description="Smart meals"
                ),
                actor="z",
            )
        ),
        stub.CreateProject(
            pb.CreateProjectRequest(
                project=project("lp-museum-2025", name="虹桥历史陈列馆", category="文化", year=2025), actor="z"
            )
        ),
        stub.CreateBuilding(
            pb.CreateBuildingRequest(building=building(tax=[res.TaxYear(year=2025, amount_yuan=1.32e8)]), actor="z")
        ),
        stub.CreateBuilding(
            pb.CreateBuildingRequest(
                building=building("b-gengduyuan", name="耕读园", kind=res.BUILDING_KIND_RESIDENTIAL_COMPOUND),
                actor="z",
            )
        ),
        stub.CreatePartner(pb.CreatePartnerRequest(partner=partner(), actor="z")),
        stub.CreatePartner(
            pb.CreatePartnerRequest(partner=partner("p-kangshifu", name="康师傅控股", type="外企"), actor="z")
        ),
        stub.CreateTarget(pb.CreateTargetRequest(target=target(), actor="z")),
        stub.CreateTarget(pb.CreateTargetRequest(target=target("revenue-2025", year=2025), actor="z")),
    ]
    for call in add:
        await call
    await stub.CreateStation(pb.CreateStationRequest(station=station(building_id="b-wanxiang"), actor="z"))
    await stub.CreateStation(
        pb.CreateStationRequest(station=station("s-gengduyuan", name="耕读园站", services=["职工之家"]), actor="z")
    )
    await stub.CreateFirm(pb.CreateFirmRequest(firm=firm(building_id="b-wanxiang"), actor="z"))
    await stub.CreateFirm(pb.CreateFirmRequest(firm=firm("f-old", name="Old Corp", signed_date=""), actor="z"))

    async def ids(call, plural):
        reply = await call
        got = [getattr(r, f"{plural[:-1]}_id") for r in getattr(reply, plural)]
        assert reply.total_size == len(got)
        return got

    P = stub.ListProjects
    assert await ids(P(pb.ListProjectsRequest(query="上下楼")), "projects") == ["lp-2026-lifts"]
    assert await ids(P(pb.ListProjectsRequest(query="SMART")), "projects") == ["lp-canteen"]  # the description
    assert await ids(P(pb.ListProjectsRequest(category="文化")), "projects") == ["lp-museum-2025"]
    assert await ids(P(pb.ListProjectsRequest(year=2026)), "projects") == ["lp-2026-lifts", "lp-canteen"]
    assert await ids(P(pb.ListProjectsRequest(status=res.PROJECT_STATUS_COMPLETED)), "projects") == []
    assert await ids(P(pb.ListProjectsRequest(query="%")), "projects") == []  # no LIKE wildcards
    B = stub.ListBuildings
    assert await ids(B(pb.ListBuildingsRequest(billion_yuan_only=True)), "buildings") == ["b-wanxiang"]
    kind = res.BUILDING_KIND_RESIDENTIAL_COMPOUND
    assert await ids(B(pb.ListBuildingsRequest(kind=kind)), "buildings") == ["b-gengduyuan"]
    assert await ids(B(pb.ListBuildingsRequest(query="吴中路")), "buildings") == ["b-gengduyuan", "b-wanxiang"]
    S_ = stub.ListStations
    assert await ids(S_(pb.ListStationsRequest(building_id="b-wanxiang")), "stations") == ["s-wanxiang"]
    assert await ids(S_(pb.ListStationsRequest(service="职工之家")), "stations") == ["s-gengduyuan"]
    assert await ids(S_(pb.ListStationsRequest(service="法律")), "stations") == []  # a whole service, not a part
    assert await ids(stub.ListPartners(pb.ListPartnersRequest(type="外企")), "partners") == ["p-kangshifu"]
    F = stub.ListFirms
    assert await ids(F(pb.ListFirmsRequest(newly_signed_only=True)), "firms") == ["f-estee"]
    assert await ids(F(pb.ListFirmsRequest(building_id="b-wanxiang")), "firms") == ["f-estee"]
    assert await ids(F(pb.ListFirmsRequest(query="old corp")), "firms") == ["f-old"]
    assert await ids(stub.ListTargets(pb.ListTargetsRequest(year=2025)), "targets") == ["revenue-2025"]


# ---------------------------------------------------------------- outputs


async def test_buildings_bands_and_the_town_count_of_billion_yuan_buildings(registry):
    _, stub = registry
    rich = building(tax=[res.TaxYear(year=2025, amount_yuan=1.5e8), res.TaxYear(year=2026, amount_yuan=1.1e8)])
    rich.tax_band, rich.billion_yuan_building = "made up", False  # output only: ignored
    b = (await stub.CreateBuilding(pb.CreateBuildingRequest(building=rich, actor="z"))).building
    assert (b.tax_band, b.billion_yuan_building) == ("≥1亿", True)
    mid = building("b-gaoxin", name="高新大厦", tax=[res.TaxYear(year=2025, amount_yuan=1.2e8)])
    mid.tax.append(res.TaxYear(year=2026, amount_yuan=6e7))
    b = (await stub.CreateBuilding(pb.CreateBuildingRequest(building=mid, actor="z"))).building
    assert (b.tax_band, b.billion_yuan_building) == ("5000万-1亿", False)

    count = target("billion_yuan_buildings", name="亿元楼", target=12, unit="栋", actual=99, actual_as_of="2020-01-01")
    t = (await stub.CreateTarget(pb.CreateTargetRequest(target=count, actor="z"))).target
    today = datetime.now(SHANGHAI).date().isoformat()
    assert (t.actual, t.actual_as_of, t.met) == (1, today, False)
    assert t.share == pytest.approx(1 / 12)
    older = target("billion_yuan_buildings-2025", name="亿元楼", year=2025, target=2, unit="栋")
    t = (await stub.CreateTarget(pb.CreateTargetRequest(target=older, actor="z"))).target
    assert (t.actual, t.met, t.share) == (2, True, 1)
    cap = target("complaints", name="投诉", target=100, actual=80, comparison=res.COMPARISON_AT_MOST)
    t = (await stub.CreateTarget(pb.CreateTargetRequest(target=cap, actor="z"))).target
    assert t.met and t.share == pytest.approx(1.25)
    listed = {t.target_id: t.actual for t in (await stub.ListTargets(pb.ListTargetsRequest())).targets}
    assert listed == {"billion_yuan_buildings": 1, "billion_yuan_buildings-2025": 2, "complaints": 80}


# ---------------------------------------------------------------- events


async def test_every_change_is_a_record_changed_event(registry, js):
    app, stub = registry
    created = (await stub.CreateProject(pb.CreateProjectRequest(project=project(), actor="zhang"))).project
    created.owner = "民生办"
    await stub.UpdateProject(pb.UpdateProjectRequest(project=created, actor="li"))
    entry = res.ProgressEntry(project_id="lp-2026-lifts", date="2026-03-01", kind=res.PROGRESS_KIND_ADD, value=10)
    added = (await stub.AddProgress(pb.AddProgressRequest(entry=entry, actor="wang"))).entry
    await stub.DeleteProject(pb.DeleteProjectRequest(project_id="lp-2026-lifts", version=2, actor="li"))

    stream = f"mb-{app.grid}-registry"

    async def all_there():
        msgs = await stream_messages(js, stream)
        return msgs if len(msgs) == 5 else None

    msgs = await eventually(all_there)
    assert msgs, "five events on the stream"
    got = [events.RecordChanged.FromString(m.data) for m in msgs]
    assert {m.subject for m in msgs} == {f"mb.{app.grid}.registry.record_changed"}
    assert [m.header["Nats-Msg-Id"] for m in msgs] == [e.meta.event_id for e in got]
    assert [(e.meta.event_id.rsplit(":", 1)[0], e.action, e.version, e.actor) for e in got] == [
        ("project:lp-2026-lifts:1", "created", 1, "zhang"),
        ("project:lp-2026-lifts:2", "updated", 2, "li"),
        (f"progress:{added.entry_id}:1", "created", 1, "wang"),
        (f"progress:{added.entry_id}:2", "deleted", 2, "li"),
        ("project:lp-2026-lifts:3", "deleted", 3, "li"),
    ]
    assert {(e.meta.grid_id, e.meta.producer) for e in got} == {(app.grid, "registry")}
    assert [e.kind for e in got] == [res.KIND_PROJECT] * 2 + [res.KIND_PROGRESS] * 2 + [res.KIND_PROJECT]
    assert got[1].record.project.owner == "民生办" and got[1].record.project.meta.version == 2
    assert got[4].record.project.meta.version == 2  # the record before its deletion
    assert got[2].record.progress == added


# ---------------------------------------------------------------- progress, circle, follow-ups


async def test_progress_of_the_lifts_project(registry):
    _, stub = registry
    await stub.CreateProject(pb.CreateProjectRequest(project=project(), actor="zhang"))
    await stub.CreateProject(pb.CreateProjectRequest(project=project("lp-old", year=2025), actor="zhang"))
    A, S_ = res.PROGRESS_KIND_ADD, res.PROGRESS_KIND_SET
    for day, kind, value in [
        ("2026-03-01", A, 10),
        ("2026-09-30", S_, 45),
        ("2026-06-15", A, 20),
        ("2026-12-10", A, 17),
    ]:
        e = res.ProgressEntry(project_id="lp-2026-lifts", date=day, kind=kind, value=value, entry_id="mine")
        added = (await stub.AddProgress(pb.AddProgressRequest(entry=e, actor="wang"))).entry
        assert added.entry_id.startswith("pe-") and added.recorded_by == "wang" and added.HasField("recorded_at")
    listed = (await stub.ListProgress(pb.ListProgressRequest(project_id="lp-2026-lifts"))).entries
    assert [e.date for e in listed] == ["2026-03-01", "2026-06-15", "2026-09-30", "2026-12-10"]

    async def figure(as_of):
        reply = await stub.GetProjectProgress(pb.GetProjectProgressRequest(project_ids=["lp-2026-lifts"], as_of=as_of))
        return reply.projects[0]

    assert (await figure("2026-02-28")).value == 0 and (await figure("2026-02-28")).behind_plan
    assert (await figure("2026-06-30")).value == 30
    assert (await figure("2026-10-01")).value == 45
    end = await figure("2026-12-31")
    assert (end.value, end.target_met, end.entries) == (62, True, 4)
    assert end.share_of_stretch == pytest.approx(62 / 65)
    this_year = await stub.GetProjectProgress(pb.GetProjectProgressRequest(year=2026, as_of="2026-12-31"))
    assert [p.project_id for p in this_year.projects] == ["lp-2026-lifts"]
    everything = await stub.GetProjectProgress(pb.GetProjectProgressRequest())
    today = datetime.now(SHANGHAI).date().isoformat()
    assert [(p.project_id, p.as_of) for p in everything.projects] == [("lp-2026-lifts", today), ("lp-old", today)]

    err = await refused(stub.GetProjectProgress(pb.GetProjectProgressRequest(project_ids=["lp-gone"])))
    assert (err.code(), err.details()) == (S.NOT_FOUND, "project 'lp-gone' is not in the registry")
    err = await refused(stub.GetProjectProgress(pb.GetProjectProgressRequest(as_of="31/12/2026")))
    assert err.code() == S.INVALID_ARGUMENT and "as_of" in err.details()
    stray = res.ProgressEntry(project_id="lp-gone", date="2026-03-01", kind=A, value=1)
    err = await refused(stub.AddProgress(pb.AddProgressRequest(entry=stray, actor="wang")))
    assert (err.code(), err.details()) == (S.INVALID_ARGUMENT, "project_id 'lp-gone' is not in the registry")
    negative = res.ProgressEntry(project_id="lp-2026-lifts", date="2026-03-01", kind=S_, value=-1)
    err = await refused(stub.AddProgress(pb.AddProgressRequest(entry=negative, actor="wang")))
    assert (err.code(), err.details()) == (S.INVALID_ARGUMENT, "value -1 is negative")


async def test_service_circle_in_the_evening(registry):
    _, stub = registry
    every_day = [res.OpeningHours(weekdays=range(1, 8), opens="09:00", closes="21:00")]
    late = [res.OpeningHours(weekdays=range(1, 6), opens="08:00", closes="22:00")]
    await stub.CreateStation(pb.CreateStationRequest(station=station(opening_hours=every_day), actor="z"))
    far = station("s-gaoxin", name="高新大厦站", location=at(1000, 0), opening_hours=late)
    await stub.CreateStation(pb.CreateStationRequest(station=far, actor="z"))
    R = res.BUILDING_KIND_RESIDENTIAL_COMPOUND
    for b in [
        building("b1", name="一号小区", kind=R, location=at(200, 0)),
        building("b2", name="二号小区", kind=res.BUILDING_KIND_RESIDENTIAL_BUILDING, location=at(700, 0)),
        building("office", name="写字楼", location=at(0, 100)),
    ]:
        await stub.CreateBuilding(pb.CreateBuildingRequest(building=b, actor="z"))

    wednesday_evening = datetime(2026, 11, 25, 21, 30, tzinfo=SHANGHAI)
    reply = await stub.GetServiceCircle(pb.GetServiceCircleRequest(at=ts(wednesday_evening)))
    assert (reply.radius_m, list(reply.open_station_ids)) == (400, ["s-gaoxin"])
    assert reply.at.ToDatetime(UTC) == wednesday_evening.astimezone(UTC).replace(tzinfo=None).replace(tzinfo=UTC)
    assert [(e.building.building_id, e.station_id, round(e.distance_m)) for e in reply.covered] == [
        ("b2", "s-gaoxin", 300)
    ]
    (gap,) = reply.gaps
    assert (gap.building.building_id, gap.station_id, gap.station_name, round(gap.distance_m)) == (
        "b1",
        "s-wanxiang",
        "心驿虹桥·万象城站",
        200,
    )
    assert (
        gap.reason
        == "心驿虹桥·万象城站 is 200 m away but closed at 21:30; nearest open station 高新大厦站 is 800 m away"
    )

    morning = await stub.GetServiceCircle(
        pb.GetServiceCircleRequest(at=ts(datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)), radius_m=100)
    )
    assert [e.building.building_id for e in morning.gaps] == ["b1", "b2"]
    offices = await stub.GetServiceCircle(
        pb.GetServiceCircleRequest(
            at=ts(datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)), kinds=[res.BUILDING_KIND_OFFICE_BUILDING]
        )
    )
    assert [(e.building.building_id, e.station_id) for e in offices.covered] == [("office", "s-wanxiang")]
    now = await stub.GetServiceCircle(pb.GetServiceCircleRequest())
    assert abs(now.at.ToDatetime(UTC) - datetime.now(UTC)).total_seconds() < 60
    assert len(now.covered) + len(now.gaps) == 2
    err = await refused(stub.GetServiceCircle(pb.GetServiceCircleRequest(radius_m=-1)))
    assert err.code() == S.INVALID_ARGUMENT and "radius_m" in err.details()


async def test_follow_ups_append_with_the_version_checked(registry):
    _, stub = registry
    await stub.CreateFirm(pb.CreateFirmRequest(firm=firm(), actor="zhang"))
    visit = res.FollowUp(date="2026-04-02", note="首次走访")
    f = (await stub.AddFollowUp(pb.AddFollowUpRequest(firm_id="f-estee", follow_up=visit, version=1, actor="li"))).firm
    assert f.meta.version == 2 and [(v.date, v.by, v.note) for v in f.follow_ups] == [("2026-04-02", "li", "首次走访")]
    second = res.FollowUp(date="2026-05-10", by="wang", note="协调停车")
    f = (await stub.AddFollowUp(pb.AddFollowUpRequest(firm_id="f-estee", follow_up=second, version=2, actor="li"))).firm
    assert [v.by for v in f.follow_ups] == ["li", "wang"] and f.meta.version == 3
    err = await refused(
        stub.AddFollowUp(pb.AddFollowUpRequest(firm_id="f-estee", follow_up=second, version=2, actor="li"))
    )
    assert (err.code(), err.details()) == (
        S.ABORTED,
        "firm f-estee is at version 3, you sent version 2: reload it and apply your change again",
    )
    err = await refused(
        stub.AddFollowUp(pb.AddFollowUpRequest(firm_id="f-estee", follow_up=res.FollowUp(), version=3, actor="li"))
    )
    assert (err.code(), err.details()) == (S.INVALID_ARGUMENT, "follow_up.date '' is not a date (YYYY-MM-DD)")
    err = await refused(
        stub.AddFollowUp(pb.AddFollowUpRequest(firm_id="f-gone", follow_up=second, version=1, actor="li"))
    )
    assert err.code() == S.NOT_FOUND


# ---------------------------------------------------------------- import and export


def csv_bytes(rows: list[list]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


async def test_import_reports_bad_rows_keeps_good_ones_and_exports_round_trip(registry, js):
    app, stub = registry
    await stub.CreateBuilding(pb.CreateBuildingRequest(building=building(), actor="z"))
    header = ["firm_id", "name", "building_id", "industry", "signed_date"]
    content = csv_bytes(
        [
            header,
            ["f-estee", "雅诗兰黛全球创新研发中心", "b-wanxiang", "研发", "2026-03-01"],  # row 2
            ["f-dianqi", "上海电气数科", "b-nowhere", "数字科技", ""],  # row 3: unknown building
            ["f-yijiang", "韩国艺匠", "", "美容", "2026-13-01"],  # row 4: not a date (tabular)
            ["F BAD", "德同资本", "", "金融", ""],  # row 5: not an id
            ["f-yetan", "叶檀财经", "", "财经", ""],  # row 6
        ]
    )
    request = pb.ImportRecordsRequest(kind=res.KIND_FIRM, format=pb.FORMAT_CSV, content=content, actor="ops")
    dry = pb.ImportRecordsRequest()
    dry.CopyFrom(request)
    dry.dry_run, dry.actor = True, ""
    preview = await stub.ImportRecords(dry)
    assert (preview.rows, preview.created, preview.updated, preview.unchanged) == (5, 2, 0, 0)
    assert (await stub.ListFirms(pb.ListFirmsRequest())).total_size == 0  # a dry run changes nothing

    reply = await stub.ImportRecords(request)
    assert (reply.rows, reply.created, reply.updated, reply.unchanged) == (5, 2, 0, 0)
    assert [(e.row, e.column) for e in reply.errors] == [(3, "building_id"), (4, "signed_date"), (5, "firm_id")]
    assert reply.errors[0].message == "building_id 'b-nowhere' is not in the registry"
    assert preview.errors == reply.errors
    firms = (await stub.ListFirms(pb.ListFirmsRequest())).firms
    assert [(f.firm_id, f.meta.version, f.meta.created_by) for f in firms] == [
        ("f-estee", 1, "ops"),
        ("f-yetan", 1, "ops"),
    ]

    # Export, change one row, import again: one update, the rest unchanged.
    for fmt in (pb.FORMAT_CSV, pb.FORMAT_XLSX):
        exported = await stub.ExportRecords(pb.ExportRecordsRequest(kind=res.KIND_FIRM, format=fmt))
        suffix = "csv" if fmt == pb.FORMAT_CSV else "xlsx"
        today = datetime.now(SHANGHAI).date().isoformat()
        assert exported.filename == f"firms-{today}.{suffix}"
        assert exported.content_type.startswith("text/csv" if fmt == pb.FORMAT_CSV else "application/vnd.openxml")
        again = await stub.ImportRecords(
            pb.ImportRecordsRequest(kind=res.KIND_FIRM, format=fmt, content=exported.content, actor="ops")
        )
        assert (again.rows, again.created, again.updated, again.unchanged, list(again.errors)) == (2, 0, 0, 2, [])
    exported = await stub.ExportRecords(pb.ExportRecordsRequest(kind=res.KIND_FIRM, format=pb.FORMAT_CSV))
    text = exported.content.decode("utf-8-sig").replace("叶檀财经", "叶檀财经（上海）")
    changed = await stub.ImportRecords(
        pb.ImportRecordsRequest(kind=res.KIND_FIRM, format=pb.FORMAT_CSV, content=text.encode(), actor="ops2")
    )
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 1)
    f = (await stub.GetFirm(pb.GetFirmRequest(firm_id="f-yetan"))).firm
    assert (f.name, f.meta.version, f.meta.updated_by, f.meta.created_by) == ("叶檀财经（上海）", 2, "ops2", "ops")

    stream = f"mb-{app.grid}-registry"

    async def firm_events():
        msgs = [events.RecordChanged.FromString(m.data) for m in await stream_messages(js, stream)]
        found = [(e.record_id, e.action, e.actor) for e in msgs if e.kind == res.KIND_FIRM]
        return found if len(found) == 3 else None

    assert await eventually(firm_events) == [
        ("f-estee", "created", "ops"),
        ("f-yetan", "created", "ops"),
        ("f-yetan", "updated", "ops2"),
    ]


async def test_import_progress_skips_repeats_and_refuses_unreadable_files(registry):
    _, stub = registry
    await stub.CreateProject(pb.CreateProjectRequest(project=project(), actor="z"))
    content = csv_bytes(
        [
            ["project_id", "date", "kind", "value", "note"],
            ["lp-2026-lifts", "2026-03-01", "add", "10", ""],
            ["lp-2026-lifts", "2026-06-15", "add", "20", ""],
            ["lp-2026-lifts", "2026-06-15", "set", "-3", ""],  # a negative SET
            ["lp-gone", "2026-06-15", "add", "1", ""],
        ]
    )
    request = pb.ImportRecordsRequest(kind=res.KIND_PROGRESS, format=pb.FORMAT_CSV, content=content, actor="ops")
    first = await stub.ImportRecords(request)
    assert (first.rows, first.created, first.unchanged) == (4, 2, 0)
    assert [(e.row, e.column, e.message) for e in first.errors] == [
        (4, "value", "value -3 is negative"),
        (5, "project_id", "project_id 'lp-gone' is not in the registry"),
    ]
    second = await stub.ImportRecords(request)
    assert (second.created, second.unchanged) == (0, 2)
    progress = await stub.GetProjectProgress(
        pb.GetProjectProgressRequest(project_ids=["lp-2026-lifts"], as_of="2026-12-31")
    )
    assert progress.projects[0].value == 30

    exported = await stub.ExportRecords(pb.ExportRecordsRequest(kind=res.KIND_PROGRESS, format=pb.FORMAT_XLSX))
    back = await stub.ImportRecords(
        pb.ImportRecordsRequest(kind=res.KIND_PROGRESS, format=pb.FORMAT_XLSX, content=exported.content, actor="ops")
    )
    assert (back.rows, back.created, back.unchanged) == (2, 0, 2)

    err = await refused(
        stub.ImportRecords(
            pb.ImportRecordsRequest(kind=res.KIND_FIRM, format=pb.FORMAT_XLSX, content=b"name\nx\n", actor="ops")
        )
    )
    assert err.code() == S.INVALID_ARGUMENT and "XLSX" in err.details()
    err = await refused(stub.ImportRecords(pb.ImportRecordsRequest(format=pb.FORMAT_CSV, content=content, actor="o")))
    assert err.code() == S.INVALID_ARGUMENT and err.details().startswith("kind is KIND_UNSPECIFIED")
    err = await refused(
        stub.ImportRecords(pb.ImportRecordsRequest(kind=res.KIND_FIRM, format=pb.FORMAT_CSV, content=content))
    )
    assert err.code() == S.INVALID_ARGUMENT and err.details().startswith("actor is empty")


async def test_every_kind_exports_and_imports_back_unchanged(registry):
    _, stub = registry
    await stub.CreateBuilding(
        pb.CreateBuildingRequest(building=building(tax=[res.TaxYear(year=2025, amount_yuan=1.32e8)]), actor="z")
    )
    await stub.CreatePartner(pb.CreatePartnerRequest(partner=partner(joint_projects=["人才公寓"]), actor="z"))
    p = project(milestones=[res.Milestone(name="开工", due_date="2026-03-01", done_date="2026-03-05")])
    await stub.CreateProject(pb.CreateProjectRequest(project=p, actor="z"))
    hours = [res.OpeningHours(weekdays=[7, 1, 2], opens="09:00", closes="24:00")]
    s = station(building_id="b-wanxiang", partner_ids=["p-huarun"], opening_hours=hours)
    await stub.CreateStation(pb.CreateStationRequest(station=s, actor="z"))
    f = firm(building_id="b-wanxiang", follow_ups=[res.FollowUp(date="2026-04-02", by="li", note="a|b")])
    await stub.CreateFirm(pb.CreateFirmRequest(firm=f, actor="z"))
    await stub.CreateTarget(pb.CreateTargetRequest(target=target(actual=30.25, actual_as_of="2026-06-30"), actor="z"))
    await stub.CreateTarget(pb.CreateTargetRequest(target=target("billion_yuan_buildings", target=12), actor="z"))
    for kind in (
        res.KIND_BUILDING,
        res.KIND_PARTNER,
        res.KIND_PROJECT,
        res.KIND_STATION,
        res.KIND_FIRM,
        res.KIND_TARGET,
    ):
        for fmt in (pb.FORMAT_CSV, pb.FORMAT_XLSX):
            exported = await stub.ExportRecords(pb.ExportRecordsRequest(kind=kind, format=fmt))
            back = await stub.ImportRecords(
                pb.ImportRecordsRequest(kind=kind, format=fmt, content=exported.content, actor="ops")
            )
            assert (back.created, back.updated, list(back.errors)) == (0, 0, []), (res.Kind.Name(kind), fmt)
            assert back.unchanged == back.rows >= 1


# ---------------------------------------------------------------- migrations


async def test_migrations_match_the_models(database):
    assert await migration_drift(database, Base.metadata, MIGRATIONS, "registry_alembic_version") == []


# ---------------------------------------------------------------- the process and the seed


async def test_python_m_microbrain_registry_serves_and_counts_changes(settings, database, service_process):
    port, metrics = free_port(), free_port()
    await service_process(
        "microbrain_registry",
        port,
        MB_GRID_ID=settings.grid_id,
        MB_NATS_URL=settings.nats_url,
        MB_DATABASE_URL=database.url,
        MB_DATABASE_SCHEMA=database.schema or "",
        MB_GRPC_PORT=str(port),
        MB_METRICS_PORT=str(metrics),
    )
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = pb_grpc.RegistryServiceStub(channel)
        await stub.CreatePartner(pb.CreatePartnerRequest(partner=partner(), actor="zhang"))
    text = await asyncio.to_thread(lambda: urllib.request.urlopen(f"http://127.0.0.1:{metrics}/metrics").read())
    assert b'microbrain_registry_record_changes_total{action="created",kind="partner"} 1.0' in text


SEED = Path(__file__).resolve().parents[4] / "deploy" / "registry"
SEED_ORDER = [  # what a file names must be there first
    ("buildings", res.KIND_BUILDING),
    ("partners", res.KIND_PARTNER),
    ("projects", res.KIND_PROJECT),
    ("progress", res.KIND_PROGRESS),
    ("stations", res.KIND_STATION),
    ("firms", res.KIND_FIRM),
    ("targets", res.KIND_TARGET),
]


async def test_the_seed_data_set_imports_through_the_service_without_a_bad_row(registry):
    _, stub = registry
    for name, kind in SEED_ORDER:
        content = (SEED / f"{name}.csv").read_bytes()
        reply = await stub.ImportRecords(
            pb.ImportRecordsRequest(kind=kind, format=pb.FORMAT_CSV, content=content, actor="seed")
        )
        assert [(e.row, e.column, e.message) for e in reply.errors] == [], name
        assert reply.created == reply.rows > 0, name
    circle = await stub.GetServiceCircle(pb.GetServiceCircleRequest())
    assert circle.covered or circle.gaps
    count = (await stub.GetTarget(pb.GetTargetRequest(target_id="billion_yuan_buildings"))).target
    assert count.actual == 12  # the article's 亿元楼 12 栋, counted from the buildings' tax
