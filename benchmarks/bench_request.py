"""Per-request cost: a Build fetch through the fake vs the same call on a bare stub.

Both sides drive the very same ``twilio`` client call,
``client.serverless.v1.services(S).builds(B).fetch()``. The stub is a plain
``responses.RequestsMock`` with one GET registered for the URL the fake was
asked, answering the exact body (and content type) the fake answered, so the
difference is what the fake adds: its transport, its dispatch core, and
frozen time (``requests`` and ``http.cookiejar`` read the clock on every
call, and while a fake is active that read goes through freezegun).

The requests-transport client (``fake.client(transport="requests")``) is
what the stub and the fake both answer. A last variant makes the same call
on ``fake.client()``'s direct transport (a ``twilio.http.HttpClient`` that
hands the call to the core, no ``requests``, no ``responses``), against the
same stub floor: the bar there is a fraction of it.

Blocks of calls alternate between the variants round after round, each
timed in process CPU time; the figure is the ratio of the medians.
"""

from __future__ import annotations

from typing import Any

import responses
from _common import Row, clock_is_real, interleave, median, ms, paired_ratios, us, verdict

from pytest_fakebuilds import FakeBuilds, Request

BAR = 1.25
AIM = 1.10
DIRECT_BAR = 0.15  # the direct transport: no requests, no responses


def _prepare(*, freeze: bool) -> tuple[FakeBuilds, Any, str, str, Any]:
    fake = FakeBuilds(seed=7, freeze=freeze)
    service = fake.create_service(unique_name="bench")
    version = fake.create_function_version(service.sid, path="/hello")
    with fake:
        client = fake.client(transport="requests")
        builds = client.serverless.v1.services(service.sid).builds
        build = builds.create(function_versions=[version.sid])
        fake.advance(fake.build_duration)
        fetched = client.serverless.v1.services(service.sid).builds(build.sid).fetch()
        if fetched.status != "completed":
            raise AssertionError(f"unexpected status {fetched.status!r}")
        call = fake.calls[-1]
    return fake, client, service.sid, build.sid, call


def run(quick: bool) -> list[Row]:
    rounds, inner = (4, 5) if quick else (40, 25)

    fake, client, service_sid, build_sid, call = _prepare(freeze=True)
    loose, loose_client, loose_service, loose_build, _ = _prepare(freeze=False)

    stub = responses.RequestsMock(assert_all_requests_are_fired=False)
    stub.add(
        responses.GET,
        call.request.url,
        body=call.response.body,
        status=call.response.status,
        content_type=dict(call.response.headers)["Content-Type"],
    )
    # The stub must hand the client what the fake hands it. (Not ``with stub``:
    # leaving a RequestsMock's context also empties its registry.)
    stub.start()
    try:
        via_stub = client.serverless.v1.services(service_sid).builds(build_sid).fetch()
    finally:
        stub.stop()
    with fake:
        if not clock_is_real():
            raise RuntimeError("the benchmark clock is frozen while a fake is active")
        via_fake = client.serverless.v1.services(service_sid).builds(build_sid).fetch()
    if (via_stub.sid, via_stub.status, via_stub.date_updated) != (
        via_fake.sid,
        via_fake.status,
        via_fake.date_updated,
    ):
        raise AssertionError("the stub and the fake answered differently")

    def fetch() -> None:
        client.serverless.v1.services(service_sid).builds(build_sid).fetch()

    # The same fake through the direct transport (fake.client()'s default).
    direct_client = fake.client()
    with fake:
        via_direct = direct_client.serverless.v1.services(service_sid).builds(build_sid).fetch()
        if fake.calls[-1].request != fake.calls[-2].request:
            raise AssertionError("the direct transport sent another request than requests")
    if (via_direct.sid, via_direct.status, via_direct.date_updated) != (
        via_fake.sid,
        via_fake.status,
        via_fake.date_updated,
    ):
        raise AssertionError("the direct transport answered differently")

    def fetch_direct() -> None:
        direct_client.serverless.v1.services(service_sid).builds(build_sid).fetch()

    def fetch_loose() -> None:
        loose_client.serverless.v1.services(loose_service).builds(loose_build).fetch()

    request = Request("GET", call.request.url, dict(call.request.headers), b"")

    def core_only() -> None:
        fake.handle(request)

    samples = interleave(
        {
            "fake": fetch,
            "stub": fetch,
            "fake_nofreeze": fetch_loose,
            "core": core_only,
            "direct": fetch_direct,
        },
        rounds=rounds,
        inner=inner,
        setup={
            "fake": fake.start,
            "stub": stub.start,
            "fake_nofreeze": loose.start,
            "direct": fake.start,
        },
        teardown={
            "fake": fake.stop,
            "stub": stub.stop,
            "fake_nofreeze": loose.stop,
            "direct": fake.stop,
        },
    )
    fake_s, stub_s = median(samples["fake"]), median(samples["stub"])
    loose_s, core_s = median(samples["fake_nofreeze"]), median(samples["core"])
    direct_s = median(samples["direct"])
    direct_ratio = direct_s / stub_s
    direct_paired = median(paired_ratios(samples["direct"], samples["stub"]))
    ratio = fake_s / stub_s
    paired = median(paired_ratios(samples["fake"], samples["stub"]))
    verdict_text = verdict(ratio <= BAR) + (" (aim met)" if ratio <= AIM else "")
    return [
        Row(
            "per-request fetch, fake / bare responses stub",
            f"{ratio:.2f}x (fake {ms(fake_s)}, stub {ms(stub_s)} per call; "
            f"paired rounds {paired:.2f}x)",
            f"<= {BAR:.2f}x (aim <= {AIM:.2f}x)",
            verdict_text,
        ),
        Row(
            "↳ fake overhead per call (fake - stub)",
            f"{us(fake_s - stub_s)}, of which the core (FakeBuilds.handle) {us(core_s)}",
        ),
        Row(
            "↳ same, fake with freeze=False / stub",
            f"{loose_s / stub_s:.2f}x ({ms(loose_s)} per call; frozen time costs "
            f"{us(fake_s - loose_s)} per call)",
        ),
        Row(
            "per-request fetch, direct transport / bare responses stub",
            f"{direct_ratio:.3f}x (direct {us(direct_s)}, stub {ms(stub_s)} per call; "
            f"paired rounds {direct_paired:.3f}x; of it the core {us(core_s)})",
            f"<= {DIRECT_BAR:.2f}x",
            verdict(direct_ratio <= DIRECT_BAR),
        ),
    ]
