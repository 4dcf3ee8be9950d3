"""Per-request cost: a Build fetch through the fake vs the same call on a bare stub.

Both sides drive the very same ``twilio`` client call,
``client.serverless.v1.services(S).builds(B).fetch()``. The stub is a plain
``responses.RequestsMock`` with one GET registered for the URL the fake was
asked, answering the exact body (and content type) the fake answered, so the
difference is what the fake adds: its transport, its dispatch core, and
frozen time (``requests`` and ``http.cookiejar`` read the clock on every
call, and while a fake is active that read goes through freezegun).

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


def _prepare(*, freeze: bool) -> tuple[FakeBuilds, Any, str, str, Any]:
    fake = FakeBuilds(seed=7, freeze=freeze)
    service = fake.create_service(unique_name="bench")
    version = fake.create_function_version(service.sid, path="/hello")
    with fake:
        client = fake.client()
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

    def fetch_loose() -> None:
        loose_client.serverless.v1.services(loose_service).builds(loose_build).fetch()

    request = Request("GET", call.request.url, dict(call.request.headers), b"")

    def core_only() -> None:
        fake.handle(request)

    samples = interleave(
        {"fake": fetch, "stub": fetch, "fake_nofreeze": fetch_loose, "core": core_only},
        rounds=rounds,
        inner=inner,
        setup={"fake": fake.start, "stub": stub.start, "fake_nofreeze": loose.start},
        teardown={"fake": fake.stop, "stub": stub.stop, "fake_nofreeze": loose.stop},
    )
    fake_s, stub_s = median(samples["fake"]), median(samples["stub"])
    loose_s, core_s = median(samples["fake_nofreeze"]), median(samples["core"])
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
    ]
