"""Per-request cost of scenarios that match nothing: a Build fetch through a fake
with 10 ``fail_builds`` rules and 10 faults configured vs a fake with none.

Both fakes hold the same service and one completed build, and both sides drive
the very same ``twilio`` client call,
``client.serverless.v1.services(S).builds(B).fetch()``. The configured fake's
rules never match (they are asked only when a build is created, so the fetch
should not pay for them at all), and its faults are aimed where the fetch is
not: five at other operations (``fetch_build_status``, ``create_build``,
``list_build``, ``delete_build``, ``fetch_service``) and five at
``fetch_build`` of other builds (``sid=``). Every fault is for every matching
call (``times=None``), so none is ever spent and dropped from the list: each
fetch consults all ten. The difference is what configured-but-idle scenarios
add to a request: the fault hook's scan of them.

Blocks of calls alternate between the variants round after round, each timed
in process CPU time; the figure is the ratio of the medians. A sub-row gives
the same ratio for the fake's core alone (``FakeBuilds.handle``).
"""

from __future__ import annotations

from typing import Any

from _common import Row, clock_is_real, interleave, median, ms, paired_ratios, us, verdict

from pytest_fakebuilds import FakeBuilds, Request

BAR = 1.05
RULES = 10
OTHER_OPERATIONS = (
    "fetch_build_status",
    "create_build",
    "list_build",
    "delete_build",
    "fetch_service",
)
OTHER_BUILDS = tuple(f"ZB{index:032x}" for index in range(1, 6))


def _prepare(*, configured: bool) -> tuple[FakeBuilds, Any, Any, str]:
    fake = FakeBuilds(seed=7)
    service = fake.create_service(unique_name="bench")
    version = fake.create_function_version(service.sid, path="/hello")
    rules = []
    faults = []
    if configured:  # the rules are asked about the build below, and do not match
        rules = [fake.fail_builds(lambda build: False, reason=f"rule {n}") for n in range(RULES)]
    with fake:
        client = fake.client(transport="requests")
        build = client.serverless.v1.services(service.sid).builds.create(
            function_versions=[version.sid]
        )
        fake.advance(fake.build_duration)
        if configured:  # after the create, which one of them is aimed at
            faults = [fake.fault(op, status=500, times=None) for op in OTHER_OPERATIONS]
            faults += [
                fake.fault("fetch_build", status=429, sid=sid, times=None) for sid in OTHER_BUILDS
            ]
            if len(fake.faults) != 10:
                raise AssertionError(f"{len(fake.faults)} faults configured, not 10")
        handle = client.serverless.v1.services(service.sid).builds(build.sid)
        fetched = handle.fetch()
        if fetched.status != "completed":
            raise AssertionError(f"unexpected status {fetched.status!r}")
        call = fake.calls[-1]
    if any(rule.matched for rule in rules):
        raise AssertionError("a rule that should match nothing matched")
    if any(fault.hits for fault in faults):
        raise AssertionError("a fault that should match nothing fired")
    request = Request("GET", call.request.url, dict(call.request.headers), b"")
    return fake, handle, request, call.response.body


def run(quick: bool) -> list[Row]:
    rounds, inner = (4, 5) if quick else (40, 25)

    plain, plain_build, plain_request, plain_body = _prepare(configured=False)
    busy, busy_build, busy_request, busy_body = _prepare(configured=True)
    if plain_body != busy_body:
        raise AssertionError("the two fakes answered differently")
    with busy:
        if not clock_is_real():
            raise RuntimeError("the benchmark clock is frozen while a fake is active")

    def fetch_plain() -> None:
        plain_build.fetch()

    def fetch_busy() -> None:
        busy_build.fetch()

    def core_plain() -> None:
        plain.handle(plain_request)

    def core_busy() -> None:
        busy.handle(busy_request)

    samples = interleave(
        {
            "configured": fetch_busy,
            "none": fetch_plain,
            "core_configured": core_busy,
            "core_none": core_plain,
        },
        rounds=rounds,
        inner=inner,
        setup={"configured": busy.start, "none": plain.start},
        teardown={"configured": busy.stop, "none": plain.stop},
    )
    if any(fault.hits for fault in busy.faults):
        raise AssertionError("a fault that should match nothing fired while timed")
    busy_s, plain_s = median(samples["configured"]), median(samples["none"])
    core_busy_s, core_plain_s = median(samples["core_configured"]), median(samples["core_none"])
    ratio = busy_s / plain_s
    paired = median(paired_ratios(samples["configured"], samples["none"]))
    return [
        Row(
            "per-request fetch, 10 rules + 10 faults matching nothing / none configured",
            f"{ratio:.2f}x (configured {ms(busy_s)}, none {ms(plain_s)} per call; "
            f"paired rounds {paired:.2f}x)",
            f"<= {BAR:.2f}x",
            verdict(ratio <= BAR),
        ),
        Row(
            "↳ the core alone (FakeBuilds.handle), configured / none",
            f"{core_busy_s / core_plain_s:.2f}x ({us(core_busy_s)} vs {us(core_plain_s)} per "
            f"call: {us(core_busy_s - core_plain_s)} for the idle scenarios)",
        ),
    ]
