"""SIDs and credentials depend on the seed and the order of creations, nothing else."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest
from faker import Faker

from pytest_fakebuilds import FakeBuilds
from pytest_fakebuilds.plugin import derive_seed


def story(fake: FakeBuilds) -> list[str]:
    """Everything a typical test mints, in order."""
    service = fake.create_service(unique_name="svc")
    fn = fake.create_function_version(service.sid, "/fn")
    asset = fake.create_asset_version(service.sid, "/a.css")
    key = fake.create_api_key()
    with fake:
        build = (
            fake.client()
            .serverless.v1.services(service.sid)
            .builds.create(function_versions=[fn.sid], asset_versions=[asset.sid])
        )
    return [
        fake.account_sid,
        fake.auth_token,
        service.sid,
        fn.function_sid,
        fn.sid,
        asset.asset_sid,
        asset.sid,
        key.sid,
        key.secret,
        build.sid,
    ]


def test_same_seed_same_sids_whatever_the_global_randomness(faker: Faker) -> None:
    first = story(FakeBuilds(seed=42))
    random.seed(999)
    Faker.seed(12345)
    faker.hexify("^" * 40)  # the shared instance Faker's plugin reseeds per test
    random.random()
    assert story(FakeBuilds(seed=42)) == first


def test_different_seeds_differ() -> None:
    assert story(FakeBuilds(seed=1)) != story(FakeBuilds(seed=2))


def test_sid_shapes() -> None:
    sids = story(FakeBuilds(seed=5))
    prefixes = ["AC", None, "ZS", "ZH", "ZN", "ZH", "ZN", "SK", None, "ZB"]
    for value, prefix in zip(sids, prefixes, strict=True):
        if prefix is None:
            assert re.fullmatch(r"[0-9a-f]{32}", value)
        else:
            assert re.fullmatch(rf"{prefix}[0-9a-f]{{32}}", value)
    assert len(set(sids)) == len(sids)


def test_fixture_seed_comes_from_the_node_id(
    fake_builds: FakeBuilds, request: pytest.FixtureRequest
) -> None:
    base = request.config.getoption("fakebuilds_seed") or 0
    assert fake_builds.seed == derive_seed(base, request.node.nodeid)


def test_derived_seeds_differ_by_node_and_base() -> None:
    seeds = {derive_seed(base, node) for base in (0, 1) for node in ("t.py::a", "t.py::b")}
    assert len(seeds) == 4
    assert derive_seed(0, "t.py::a") == derive_seed(0, "t.py::a")


@pytest.mark.parametrize("seed", [1.5, "7", None, True])
def test_seed_must_be_an_int(seed: Any) -> None:
    with pytest.raises(TypeError, match="seed"):
        FakeBuilds(seed=seed)


def test_served_dates_are_the_same_every_run() -> None:
    def dates() -> list[str]:
        fake = FakeBuilds(seed=3)
        service = fake.create_service()
        fn = fake.create_function_version(service.sid, "/fn")
        with fake:
            builds = fake.client().serverless.v1.services(service.sid).builds
            build = builds.create(function_versions=[fn.sid])
            fake.advance(fake.build_duration)
            done = builds(build.sid).fetch()
        return [str(build.date_created), str(done.date_updated)]

    assert dates() == dates() == ["2026-01-01 12:00:00+00:00", "2026-01-01 12:00:10+00:00"]


def test_refused_helper_calls_mint_nothing() -> None:
    fake = FakeBuilds(seed=9)
    service = fake.create_service()
    with pytest.raises(ValueError, match="Visibility"):
        fake.create_function_version(service.sid, "/x", visibility="secret")
    with pytest.raises(ValueError, match="Path"):
        fake.create_asset_version(service.sid, "")
    with pytest.raises(LookupError):
        fake.create_function_version("ZS" + "0" * 32, "/x")
    with pytest.raises(LookupError):
        fake.create_asset_version(service.sid, "/x", asset_sid="ZH" + "0" * 32)
    made = fake.create_function_version(service.sid, "/x")

    twin = FakeBuilds(seed=9)
    twin_made = twin.create_function_version(twin.create_service().sid, "/x")
    assert (made.sid, made.function_sid) == (twin_made.sid, twin_made.function_sid)


def test_a_function_sid_cannot_take_an_asset_version() -> None:
    fake = FakeBuilds(seed=9)
    service = fake.create_service()
    function = fake.create_function_version(service.sid, "/fn")
    with pytest.raises(LookupError):
        fake.create_asset_version(service.sid, "/a.css", asset_sid=function.function_sid)


def test_unique_names_are_unique() -> None:
    fake = FakeBuilds()
    fake.create_service(unique_name="my-app")
    with pytest.raises(ValueError, match="already exists"):
        fake.create_service(unique_name="my-app")
    assert fake.create_service().unique_name == "service-2"


def test_fail_next_build_needs_a_positive_count() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        FakeBuilds().fail_next_build(0)
