"""Per-request cost of an upload: a Function Version through the fake vs a bare stub.

Both sides send the very same ``requests`` call, a multipart ``POST`` of a
10 KB function (``Path``, ``Visibility`` and ``Content`` as a file part) to
``https://serverless-upload.twilio.com/v1/Services/S/Functions/F/Versions``,
as Twilio's Node toolkit and users' deploy scripts do (twilio-python cannot
upload). The stub is a plain ``responses.RequestsMock`` with one POST
registered for that URL, answering the exact body (and content type) the fake
answered the first upload, so the difference is what the fake adds: its
transport, its dispatch core (reading the multipart body, storing the
Version) and frozen time.

Blocks of calls alternate between the variants round after round, each
timed in process CPU time; the figure is the ratio of the medians.
"""

from __future__ import annotations

import json
from typing import Any

import requests
import responses
from _common import Row, clock_is_real, interleave, median, ms, paired_ratios, us, verdict

from pytest_fakebuilds import FakeBuilds, Request

BAR = 1.25
AIM = 1.10
CONTENT_BYTES = 10 * 1024


def _content(size: int = CONTENT_BYTES) -> bytes:
    """A Function of exactly ``size`` bytes: a handler, then comment lines."""
    head = b"exports.handler = (context, event, callback) => {\n  callback(null, 'hello');\n};\n"
    padding = b"".join(b"// line %05d of the function's padding\n" % index for index in range(size))
    return (head + padding)[:size]


def run(quick: bool) -> list[Row]:
    rounds, inner = (4, 5) if quick else (40, 25)

    fake = FakeBuilds(seed=11)
    service = fake.create_service(unique_name="bench")
    function = fake.create_function(service.sid, "hello")
    url = (
        f"https://serverless-upload.twilio.com/v1/Services/{service.sid}"
        f"/Functions/{function.sid}/Versions"
    )
    auth = (fake.account_sid, fake.auth_token)
    content = _content()
    if len(content) != CONTENT_BYTES:
        raise AssertionError(f"the content is {len(content)} bytes, not {CONTENT_BYTES}")

    def upload() -> requests.Response:
        return requests.post(
            url,
            data={"Path": "/hello", "Visibility": "protected"},
            files={"Content": ("hello.js", content, "application/javascript")},
            auth=auth,
        )

    with fake:
        if not clock_is_real():
            raise RuntimeError("the benchmark clock is frozen while a fake is active")
        first = upload()
        call = fake.calls[-1]
    answer: dict[str, Any] = first.json()
    if first.status_code != 201 or answer["visibility"] != "protected":
        raise AssertionError(f"unexpected upload answer {first.status_code} {first.text}")

    stub = responses.RequestsMock(assert_all_requests_are_fired=False)
    stub.add(
        responses.POST,
        url,
        body=call.response.body,
        status=call.response.status,
        content_type=dict(call.response.headers)["Content-Type"],
    )
    # The stub must hand the caller what the fake hands it. (Not ``with stub``:
    # leaving a RequestsMock's context also empties its registry.)
    stub.start()
    try:
        via_stub = upload()
    finally:
        stub.stop()
    with fake:
        via_fake = upload()
    fake_answer = via_fake.json()
    if (via_stub.status_code, via_stub.json()) != (first.status_code, answer) or (
        via_fake.status_code,
        fake_answer["path"],
        fake_answer["visibility"],
        fake_answer["function_sid"],
    ) != (201, "/hello", "protected", function.sid):
        raise AssertionError("the stub and the fake answered differently")
    stored = fake.calls[-1].request
    content_url = url.replace("serverless-upload", "serverless") + f"/{fake_answer['sid']}/Content"
    served = fake.handle(
        Request("GET", content_url, {"Authorization": stored.header("Authorization")})
    )
    if json.loads(served.body)["content"] != content.decode():
        raise AssertionError("the fake did not store the uploaded content")

    # The fake's core alone, on the very request ``requests`` sent.
    request = Request("POST", stored.url, dict(stored.headers), stored.body)

    def core_only() -> None:
        fake.handle(request)

    samples = interleave(
        {"fake": upload, "stub": upload, "core": core_only},
        rounds=rounds,
        inner=inner,
        setup={"fake": fake.start, "stub": stub.start},
        teardown={"fake": fake.stop, "stub": stub.stop},
    )
    fake_s, stub_s, core_s = (
        median(samples["fake"]),
        median(samples["stub"]),
        median(samples["core"]),
    )
    ratio = fake_s / stub_s
    paired = median(paired_ratios(samples["fake"], samples["stub"]))
    verdict_text = verdict(ratio <= BAR) + (" (aim met)" if ratio <= AIM else "")
    return [
        Row(
            "per-request upload (10 KB Function), fake / bare responses stub",
            f"{ratio:.2f}x (fake {ms(fake_s)}, stub {ms(stub_s)} per call; "
            f"paired rounds {paired:.2f}x)",
            f"<= {BAR:.2f}x (aim <= {AIM:.2f}x)",
            verdict_text,
        ),
        Row(
            "↳ upload overhead per call (fake - stub)",
            f"{us(fake_s - stub_s)}, of which the core (FakeBuilds.handle) {us(core_s)}",
        ),
    ]
