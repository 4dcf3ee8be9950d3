"""SIDs and credentials depend on the seed and the order of creations, nothing else.

Each check compares things that could really differ: two fakes built apart
(and driven in turns, so a generator they shared would show), global
randomness stirred between their steps, requests made by one and not the
other, and seeds worked out in processes with other hash seeds.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from base64 import b64encode
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from faker import Faker
from faker import generator as faker_generator

from pytest_fakebuilds import FakeBuilds, Request
from pytest_fakebuilds.plugin import derive_seed

BASE = "https://serverless.twilio.com"


def handle(fake: FakeBuilds, method: str, path: str, form: dict[str, Any] | None = None) -> Any:
    """One request straight to the fake's core (no transport: two fakes can take turns)."""
    token = b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
    headers = {"Authorization": f"Basic {token}"}
    body = b""
    if form is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        body = urlencode(form, doseq=True).encode()
    answer = fake.handle(Request(method, BASE + path, headers, body))
    return answer.status, json.loads(answer.body) if answer.body else None


def story(fake: FakeBuilds) -> Iterator[str]:
    """Everything a typical test mints, one value per step: a generator, so that
    callers can interleave two fakes or act between the steps."""
    yield fake.account_sid
    yield fake.auth_token
    service = fake.create_service(unique_name="svc")
    yield service.sid
    yield service.domain_base
    environment = fake.create_environment(service.sid, domain_suffix="dev")
    yield environment.sid
    fn = fake.create_function_version(service.sid, "/fn")
    yield fn.function_sid
    yield fn.sid
    asset = fake.create_asset_version(service.sid, "/a.css")
    yield asset.asset_sid
    yield asset.sid
    key = fake.create_api_key()
    yield key.sid
    yield key.secret
    status, build = handle(
        fake,
        "POST",
        f"/v1/Services/{service.sid}/Builds",
        {"FunctionVersions": fn.sid, "AssetVersions": asset.sid},
    )
    assert status == 201, build
    yield build["sid"]
    fake.advance(fake.build_duration)
    yield fake.deploy(environment.sid, build["sid"]).sid
    yield fake.set_variable(environment.sid, "KEY", "value").sid
    log = fake.add_log(environment.sid, "hello")
    yield log.sid
    yield log.request_sid
    other = fake.create_service(unique_name="other")
    yield other.sid
    yield other.domain_base


STORY_LENGTH = 18


def whole_story(fake: FakeBuilds) -> list[str]:
    values = list(story(fake))
    assert len(values) == STORY_LENGTH
    return values


def in_turns(
    first: FakeBuilds,
    second: FakeBuilds,
    between: Callable[[FakeBuilds], None] = lambda fake: None,
) -> tuple[list[str], list[str]]:
    """Both stories, one step of each in turn, ``between`` called before every step."""
    steps = story(first), story(second)
    values: tuple[list[str], list[str]] = ([], [])
    for _ in range(STORY_LENGTH):
        for fake, into, stepper in zip((first, second), values, steps, strict=True):
            between(fake)
            into.append(next(stepper))
    assert [next(stepper, None) for stepper in steps] == [None, None]
    return values


@pytest.fixture
def global_randomness() -> Iterator[None]:
    """The tests below stir ``random`` and Faker's shared generator: put both back."""
    state, shared = random.getstate(), faker_generator.random.getstate()
    yield
    random.setstate(state)
    faker_generator.random.setstate(shared)


def stirrer(faker: Faker) -> Callable[[FakeBuilds], None]:
    """Before each step: reseed and draw from ``random``, Faker's shared generator and
    the ``faker`` fixture's instance, differently at every call."""
    calls = iter(range(10**6))

    def stir(fake: FakeBuilds) -> None:
        n = next(calls)
        random.seed(n)
        random.getrandbits(128)
        Faker.seed(n * 31 + 7)  # every Faker generator not seeded on its own
        Faker().hexify("^" * 32)
        faker.seed_instance(n)
        faker.hexify("^" * 40)

    return stir


def test_two_fakes_of_one_seed_mint_alike_in_turns(faker: Faker, global_randomness: None) -> None:
    """Built apart, driven in turns with global randomness stirred before every step:
    a generator the two shared, or one the fake borrowed, would split them."""
    first, second = in_turns(FakeBuilds(seed=42), FakeBuilds(seed=42), stirrer(faker))
    assert first == second
    assert len(set(first)) == STORY_LENGTH
    assert whole_story(FakeBuilds(seed=42)) == first  # and alone, unstirred


def test_a_fake_leaves_global_randomness_alone(global_randomness: None) -> None:
    random.seed(5)
    Faker.seed(6)
    state, shared = random.getstate(), faker_generator.random.getstate()
    whole_story(FakeBuilds(seed=42))
    assert random.getstate() == state
    assert faker_generator.random.getstate() == shared


@pytest.mark.parametrize(("one", "two"), [(1, 2), (0, 1), (7, 2**63 + 7)])
def test_different_seeds_share_no_value(one: int, two: int) -> None:
    """Every SID, secret and domain differs, not just the first: a stream left unseeded
    (the domain digits, say) would repeat itself across seeds."""
    first, second = in_turns(FakeBuilds(seed=one), FakeBuilds(seed=two))
    assert [a == b for a, b in zip(first, second, strict=True)] == [False] * STORY_LENGTH


def test_requests_between_creations_do_not_shift_sids() -> None:
    """Reads, refusals and 404s mint request IDs only: a fake that made many of them
    between its creations mints what a fake of the same seed that made none mints."""
    quiet, busy = FakeBuilds(seed=8), FakeBuilds(seed=8)
    requests_made = 0

    def busy_work(fake: FakeBuilds) -> None:
        nonlocal requests_made
        if fake is quiet:
            return
        for method, path, form in (
            ("GET", "/v1/Services", None),
            ("GET", "/v1/Services/ZS" + "0" * 32, None),
            ("POST", "/v1/Services", {"UniqueName": "-bad-"}),
            ("POST", "/v1/Services", {"FriendlyName": "no unique name"}),
            ("DELETE", "/v1/Services/ZS" + "0" * 32, None),
        ):
            handle(fake, method, path, form)
            requests_made += 1

    first, second = in_turns(quiet, busy, busy_work)
    assert first == second
    assert requests_made == 5 * STORY_LENGTH
    assert len(busy.calls) - len(quiet.calls) == requests_made


def test_sid_shapes() -> None:
    sids = whole_story(FakeBuilds(seed=5))
    prefixes = [
        "AC", None, "ZS", "svc-", "ZE", "ZH", "ZN", "ZH", "ZN", "SK", None,
        "ZB", "ZD", "ZV", "NO", "RQ", "ZS", "other-",
    ]  # fmt: skip
    for value, prefix in zip(sids, prefixes, strict=True):
        if prefix is None:
            assert re.fullmatch(r"[0-9a-f]{32}", value)
        elif prefix.endswith("-"):
            assert re.fullmatch(rf"{prefix}\d{{4}}", value)
        else:
            assert re.fullmatch(rf"{prefix}[0-9a-f]{{32}}", value)
    assert len(set(sids)) == len(sids)


def test_the_fixture_fake_mints_what_its_derived_seed_mints(
    fake_builds: FakeBuilds, request: pytest.FixtureRequest
) -> None:
    base = request.config.getoption("fakebuilds_seed") or 0
    seed = derive_seed(base, request.node.nodeid)
    assert fake_builds.seed == seed
    assert whole_story(fake_builds) == whole_story(FakeBuilds(seed=seed))


NODES = ("t.py::a", "t.py::b", "t.py::a[1]", "1::t", "::t", "t.py::A")


def test_derived_seeds_differ_by_node_and_base() -> None:
    # (1, "1::t") and (11, "::t") read alike if base and node id run together.
    pairs = [(base, node) for base in (0, 1, 11) for node in NODES]
    seeds = {derive_seed(base, node) for base, node in pairs}
    assert len(seeds) == len(pairs)
    assert all(0 <= seed < 2**64 for seed in seeds)


def test_derived_seeds_are_the_same_in_every_process() -> None:
    """Not Python's ``hash()``, which each process salts: a seed must reproduce in a
    later run and on every xdist worker."""
    script = (
        "import json, sys\n"
        "from pytest_fakebuilds.plugin import derive_seed\n"
        "print(json.dumps([derive_seed(b, n) for b, n in json.loads(sys.argv[1])]))\n"
    )
    pairs = [[base, node] for base in (0, 1) for node in NODES]
    here = [derive_seed(base, node) for base, node in pairs]
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", script, json.dumps(pairs)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert json.loads(out) == here


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
