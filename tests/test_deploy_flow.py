"""A whole deploy, made exactly as Twilio's Node toolkit (``@twilio-labs/serverless-api``) makes it.

The sequence, the form fields and the encodings are the ones observed from the
toolkit (behaviour reference, sections 3.2 and 3.2.1): REST calls go through
twilio-python, uploads and the toolkit's hand-encoded Build through
``requests``, and the fake's journal must show the toolkit's sequence of calls.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
import requests
from helpers import BASE, auth_of, error_of, raw, state_of, upload
from twilio.base.exceptions import TwilioRestException

from pytest_fakebuilds import Call, FakeBuilds, InvalidParameterError

# The toolkit's package.json dependency ranges; an empty version would become "*".
DEPENDENCIES = [{"name": "twilio", "version": "^3.56"}]
RUNTIME = "node22"
DURATION = 6  # seconds a build stays "building" in these tests
POLL_LIMIT = 300  # the toolkit gives up after 5 minutes of 1 s polls

HELLO = "exports.handler = (context, event, callback) => callback(null, 'hello');\n"
SECRET = "exports.handler = (context, event, callback) => callback(null, context.TOKEN);\n"
PAGE = b"<!doctype html><title>hi</title><p>hello</p>\n"

pytestmark = pytest.mark.fake_builds(build_duration=DURATION)


@dataclass
class Project:
    """A local project as the toolkit reads it from disk."""

    name: str = "my-app"
    # path -> (visibility, code); "/secret" comes from secret.protected.js
    functions: dict[str, tuple[str, str]] = field(
        default_factory=lambda: {"/hello": ("public", HELLO), "/secret": ("protected", SECRET)}
    )
    # path -> (visibility, content, content type)
    assets: dict[str, tuple[str, bytes, str]] = field(
        default_factory=lambda: {"/index.html": ("public", PAGE, "text/html")}
    )
    env: dict[str, str] = field(default_factory=lambda: {"GREETING": "hi", "TOKEN": "s3cret"})
    dependencies: list[dict[str, str]] = field(default_factory=lambda: list(DEPENDENCIES))


@dataclass
class Deployed:
    service_sid: str
    environment_sid: str
    build_sid: str
    functions: dict[str, str]  # path -> ZH
    function_versions: dict[str, str]  # path -> ZN
    assets: dict[str, str]
    asset_versions: dict[str, str]
    polls: list[str]  # every status the poll loop saw, in order
    service_refusal: TwilioRestException | None  # why POST /v1/Services was refused


class BuildFailed(Exception):
    """The toolkit rejects with the bare string "failed"; here, an exception saying it."""


# The toolkit, in Python ------------------------------------------------------------


def node_querystring(pairs: list[tuple[str, str]]) -> str:
    """Node's ``querystring.stringify``: encodeURIComponent on every key and value,
    ``%20`` for a space, arrays as repeated keys (already spread into ``pairs``)."""
    safe = "-_.!~*'()"
    return "&".join(f"{quote(k, safe=safe)}={quote(v, safe=safe)}" for k, v in pairs)


def toolkit_list(fake: FakeBuilds, path: str, *, page_size: int | None = None) -> list[Any]:
    """The toolkit's ``getPaginatedResource``: entries from ``body[meta.key]``,
    following ``meta.next_page_url`` as an absolute URL until it is null."""
    url: str | None = BASE + path + (f"?PageSize={page_size}" if page_size else "")
    records: list[Any] = []
    while url:
        answer = requests.get(url, auth=auth_of(fake))
        assert answer.status_code == 200, answer.text
        page = answer.json()
        records.extend(page[page["meta"]["key"]])
        url = page["meta"]["next_page_url"]
        assert url is None or url.startswith("https://serverless.twilio.com/v1/")
    return records


def toolkit_deploy(
    fake: FakeBuilds, project: Project, *, services_page_size: int | None = None
) -> Deployed:
    """``deployLocalProject``, call for call (reference 3.2.1)."""
    serverless = fake.client().serverless.v1

    # 1. Service; if create fails for any reason, look the name up in the list.
    service_refusal = None
    try:
        service_sid = serverless.services.create(
            unique_name=project.name,
            friendly_name=project.name,
            include_credentials=True,
            ui_editable=False,
        ).sid
    except TwilioRestException as refusal:
        service_refusal = refusal
        found = [
            s["sid"]
            for s in toolkit_list(fake, "/v1/Services", page_size=services_page_size)
            if s["unique_name"] == project.name
        ]
        if not found:
            raise
        (service_sid,) = found
    api = serverless.services(service_sid)

    # 2. Environment "dev": list, then create with the toolkit's extra FriendlyName.
    existing_envs = [e for e in api.environments.list() if e.domain_suffix == "dev"]
    if existing_envs:
        environment_sid = existing_envs[0].sid
    else:
        created = raw(
            fake,
            "POST",
            f"/v1/Services/{service_sid}/Environments",
            data={
                "UniqueName": "dev-environment",
                "FriendlyName": f"{project.name} dev environment",  # not an API parameter
                "DomainSuffix": "dev",
            },
        )
        assert created.status_code == 201, created.text
        assert "friendly_name" not in created.json()  # the unknown field was ignored
        environment_sid = created.json()["sid"]

    # 3-4. Functions, matched on friendly_name, then one upload per function.
    function_sids = {f.friendly_name: f.sid for f in api.functions.list()}
    for path in project.functions:
        if path not in function_sids:
            function_sids[path] = api.functions.create(friendly_name=path).sid
    function_versions = {}
    for path, (visibility, code) in project.functions.items():
        answer = upload(
            fake,
            service_sid,
            function_sids[path],
            path=path,
            visibility=visibility,
            content=code,
            filename=path.strip("/"),
            content_type="application/javascript",
        )
        assert answer.status_code == 201, answer.text
        function_versions[path] = answer.json()["sid"]

    # 5. Assets, the same way.
    asset_sids = {a.friendly_name: a.sid for a in api.assets.list()}
    for path in project.assets:
        if path not in asset_sids:
            asset_sids[path] = api.assets.create(friendly_name=path).sid
    asset_versions = {}
    for path, (visibility, content, content_type) in project.assets.items():
        answer = upload(
            fake,
            service_sid,
            asset_sids[path],
            kind="Assets",
            path=path,
            visibility=visibility,
            content=content,
            filename=path.strip("/"),
            content_type=content_type,
        )
        assert answer.status_code == 201, answer.text
        asset_versions[path] = answer.json()["sid"]

    # 6. Build, encoded by hand as the toolkit does (quoted, not-JSON Dependencies).
    pairs = [("Dependencies", f'"{json.dumps(project.dependencies, separators=(",", ":"))}"')]
    pairs += [("FunctionVersions", sid) for sid in function_versions.values()]
    pairs += [("AssetVersions", sid) for sid in asset_versions.values()]
    pairs += [("Runtime", RUNTIME)]
    built = raw(
        fake,
        "POST",
        f"/v1/Services/{service_sid}/Builds",
        data=node_querystring(pairs),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert built.status_code == 201, built.text
    build_sid = built.json()["sid"]

    # 7. Poll the Status once a second until it is no longer building.
    polls: list[str] = []
    status = api.builds(build_sid).build_status()
    for _ in range(POLL_LIMIT):
        polls.append(status.fetch().status)
        if polls[-1] != "building":
            break
        time.sleep(1)  # advances the fake's clock
    else:
        raise AssertionError(f"build {build_sid} still building after {POLL_LIMIT} polls")
    if polls[-1] != "completed":
        raise BuildFailed(polls[-1])

    # 8. Variables: upsert by key; an unchanged value is not re-sent, nothing deleted.
    variables = api.environments(environment_sid).variables
    existing = {v.key: v for v in variables.list()}
    for key, value in project.env.items():
        if key not in existing:
            variables.create(key=key, value=value)
        elif existing[key].value != value:
            variables(existing[key].sid).update(key=key, value=value)

    # 9. Deployment.
    api.environments(environment_sid).deployments.create(build_sid=build_sid)
    return Deployed(
        service_sid,
        environment_sid,
        build_sid,
        function_sids,
        function_versions,
        asset_sids,
        asset_versions,
        polls,
        service_refusal,
    )


# What the journal shows -------------------------------------------------------------

_SID = re.compile(r"\b([A-Z]{2})[0-9a-fA-F]{32}\b")

SERVICES = ("api", "/v1/Services")
ENVIRONMENTS = ("api", "/v1/Services/{ZS}/Environments")
FUNCTIONS = ("api", "/v1/Services/{ZS}/Functions")
FUNCTION_UPLOAD = ("upload", "/v1/Services/{ZS}/Functions/{ZH}/Versions")
ASSETS = ("api", "/v1/Services/{ZS}/Assets")
ASSET_UPLOAD = ("upload", "/v1/Services/{ZS}/Assets/{ZH}/Versions")
BUILDS = ("api", "/v1/Services/{ZS}/Builds")
STATUS = ("api", "/v1/Services/{ZS}/Builds/{ZB}/Status")
VARIABLES = ("api", "/v1/Services/{ZS}/Environments/{ZE}/Variables")
VARIABLE = ("api", "/v1/Services/{ZS}/Environments/{ZE}/Variables/{ZV}")
DEPLOYMENTS = ("api", "/v1/Services/{ZS}/Environments/{ZE}/Deployments")


def journal(calls: list[Call]) -> list[tuple[str, str, str]]:
    """(method, host, path template) of each call: SIDs become ``{prefix}``."""
    out = []
    for call in calls:
        host = "upload" if call.request.host.startswith("serverless-upload") else "api"
        out.append((call.request.method, host, _SID.sub(r"{\1}", call.request.path)))
    return out


def step(method: str, where: tuple[str, str], times: int = 1) -> list[tuple[str, str, str]]:
    return [(method, *where)] * times


def polls_for(duration: int) -> list[tuple[str, str, str]]:
    # One "building" answer per second of the build, then the final answer.
    return step("GET", STATUS, duration + 1)


# Tests ----------------------------------------------------------------------------


def test_toolkit_deploy_end_to_end(fake_builds: FakeBuilds) -> None:
    project = Project()
    deployed = toolkit_deploy(fake_builds, project)
    toolkit_calls = journal(fake_builds.calls)

    # The journal is the toolkit's sequence, call for call.
    assert toolkit_calls == [
        *step("POST", SERVICES),
        *step("GET", ENVIRONMENTS),
        *step("POST", ENVIRONMENTS),
        *step("GET", FUNCTIONS),
        *step("POST", FUNCTIONS, 2),
        *step("POST", FUNCTION_UPLOAD, 2),
        *step("GET", ASSETS),
        *step("POST", ASSETS),
        *step("POST", ASSET_UPLOAD),
        *step("POST", BUILDS),
        *polls_for(DURATION),
        *step("GET", VARIABLES),
        *step("POST", VARIABLES, 2),
        *step("POST", DEPLOYMENTS),
    ]
    (build_call,) = [c for c in fake_builds.calls if journal([c]) == step("POST", BUILDS)]
    assert build_call.request.body.decode().startswith(
        "Dependencies=%22%5B%7B%22name%22%3A%22twilio%22%2C%22version%22%3A%22%5E3.56%22%7D%5D%22"
        "&FunctionVersions=ZN"
    )
    assert deployed.service_refusal is None

    # Polled once a second: one "building" answer per second of build duration.
    assert fake_builds.build_duration.total_seconds() == DURATION
    assert deployed.polls == ["building"] * DURATION + ["completed"]

    api = fake_builds.client().serverless.v1.services(deployed.service_sid)
    # The environment serves the new build.
    environment = api.environments(deployed.environment_sid).fetch()
    assert environment.build_sid == deployed.build_sid
    assert (environment.unique_name, environment.domain_suffix) == ("dev-environment", "dev")
    (deployment,) = api.environments(deployed.environment_sid).deployments.list()
    assert deployment.build_sid == deployed.build_sid

    # Each function's Content serves the uploaded code; the versions are as uploaded.
    for path, (visibility, code) in project.functions.items():
        function_version = api.functions(deployed.functions[path]).function_versions(
            deployed.function_versions[path]
        )
        version = function_version.fetch()
        assert (version.path, version.visibility) == (path, visibility)
        assert function_version.function_version_content().fetch().content == code
    assert {f.friendly_name: f.sid for f in api.functions.list()} == deployed.functions
    (asset,) = api.assets.list()
    (asset_version,) = api.assets(asset.sid).asset_versions.list()
    assert (asset.friendly_name, asset_version.path) == ("/index.html", "/index.html")

    # The build: every version, the quoted Dependencies understood, plus Twilio's defaults.
    build = api.builds(deployed.build_sid).fetch()
    assert build.status == "completed"
    assert build.runtime == RUNTIME
    assert sorted(v["sid"] for v in build.function_versions) == sorted(
        deployed.function_versions.values()
    )
    assert [v["sid"] for v in build.asset_versions] == list(deployed.asset_versions.values())
    # What Twilio adds to a build that names no dependencies.
    defaults = api.builds.create(asset_versions=list(deployed.asset_versions.values()))
    assert defaults.dependencies, "Twilio injects default dependencies"
    assert [d for d in build.dependencies if d["name"] == "twilio"] == DEPENDENCIES
    others = [d for d in defaults.dependencies if d["name"] != "twilio"]
    assert others, "a default besides twilio (@twilio/runtime-handler)"
    assert sorted(build.dependencies, key=str) == sorted(DEPENDENCIES + others, key=str)

    # Variables as the project set them.
    assert {
        v.key: v.value for v in api.environments(deployed.environment_sid).variables.list()
    } == project.env


HELLO_AGAIN = "exports.handler = (context, event, callback) => callback(null, 'hello again');\n"


def test_toolkit_redeploy_finds_the_service_and_reuses_its_resources(
    fake_builds: FakeBuilds,
) -> None:
    first = toolkit_deploy(fake_builds, Project())
    for n in range(4):  # newer services: "my-app" ends up on the last page of two
        fake_builds.create_service(unique_name=f"other-{n}")
    mark = len(fake_builds.calls)
    changed = Project(
        functions={"/hello": ("public", HELLO_AGAIN), "/secret": ("protected", SECRET)},
        env={"GREETING": "hello", "TOKEN": "s3cret", "NEW": "1"},
    )

    again = toolkit_deploy(fake_builds, changed, services_page_size=2)

    refusal = again.service_refusal
    assert refusal is not None
    assert (refusal.status, refusal.code, refusal.msg) == (
        409,
        20409,
        "Unable to create record: Service with this UniqueName already exists.",
    )
    calls = fake_builds.calls[mark:]
    assert calls[0].response.status == 409
    pages = [c.request.url for c in calls if journal([c]) == step("GET", SERVICES)]
    assert len(pages) == 3  # 5 services, 2 a page; the later pages by absolute next_page_url
    assert all(url.startswith("https://serverless.twilio.com/v1/Services?") for url in pages)
    assert journal(calls) == [
        *step("POST", SERVICES),
        *step("GET", SERVICES, 3),
        *step("GET", ENVIRONMENTS),  # "dev" is found: no create
        *step("GET", FUNCTIONS),  # both found by friendly_name: no create
        *step("POST", FUNCTION_UPLOAD, 2),
        *step("GET", ASSETS),
        *step("POST", ASSET_UPLOAD),
        *step("POST", BUILDS),
        *polls_for(DURATION),
        *step("GET", VARIABLES),
        *step("POST", VARIABLE),  # GREETING changed; TOKEN unchanged is not re-sent
        *step("POST", VARIABLES),  # NEW
        *step("POST", DEPLOYMENTS),
    ]

    assert (again.service_sid, again.environment_sid) == (first.service_sid, first.environment_sid)
    assert (again.functions, again.assets) == (first.functions, first.assets)
    assert again.build_sid != first.build_sid
    assert set(again.function_versions.values()).isdisjoint(first.function_versions.values())

    serverless = fake_builds.client().serverless.v1
    assert sorted(s.unique_name for s in serverless.services.list()) == [
        "my-app",
        "other-0",
        "other-1",
        "other-2",
        "other-3",
    ]
    api = serverless.services(again.service_sid)
    environment = api.environments(again.environment_sid)
    assert environment.fetch().build_sid == again.build_sid
    assert [d.build_sid for d in environment.deployments.list()] == [
        again.build_sid,
        first.build_sid,
    ]
    assert {v.key: v.value for v in environment.variables.list()} == changed.env
    hello = api.functions(again.functions["/hello"])
    new = hello.function_versions(again.function_versions["/hello"])
    old = hello.function_versions(first.function_versions["/hello"])
    assert new.function_version_content().fetch().content == HELLO_AGAIN
    assert old.function_version_content().fetch().content == HELLO  # versions are immutable
    assert len(hello.function_versions.list()) == 2
    # The first build is no longer live, so it can go.
    assert api.builds(first.build_sid).delete() is True


@pytest.mark.parametrize("redeploy", [False, True], ids=["first-deploy", "redeploy"])
def test_a_failed_build_is_never_deployed(fake_builds: FakeBuilds, redeploy: bool) -> None:
    live = toolkit_deploy(fake_builds, Project()).build_sid if redeploy else None
    fake_builds.fail_next_build()
    mark = len(fake_builds.calls)
    changed = Project(env={"GREETING": "changed", "TOKEN": "s3cret"})

    with pytest.raises(BuildFailed, match=r"^failed$"):
        toolkit_deploy(fake_builds, changed)

    calls = fake_builds.calls[mark:]
    # The toolkit stops at the first "failed" Status: no variables, no deployment.
    assert journal(calls)[-(DURATION + 2) :] == [*step("POST", BUILDS), *polls_for(DURATION)]
    assert json.loads(calls[-1].response.body)["status"] == "failed"
    assert not any(
        journal([c])[0][2].startswith("/v1/Services/{ZS}/Environments/{ZE}/") for c in calls
    )

    (service,) = fake_builds.client().serverless.v1.services.list()
    api = fake_builds.client().serverless.v1.services(service.sid)
    (environment,) = api.environments.list()
    assert environment.build_sid == live
    assert [d.build_sid for d in api.environments(environment.sid).deployments.list()] == (
        [live] if redeploy else []
    )
    failed = api.builds.list()[0]
    assert failed.sid != live
    assert failed.status == "failed"
    variables = {v.key: v.value for v in api.environments(environment.sid).variables.list()}
    assert variables == (Project().env if redeploy else {})


def test_deploying_the_live_build_again_is_409(fake_builds: FakeBuilds) -> None:
    deployed = toolkit_deploy(fake_builds, Project())
    environment = (
        fake_builds.client()
        .serverless.v1.services(deployed.service_sid)
        .environments(deployed.environment_sid)
    )
    before = state_of(fake_builds)

    with pytest.raises(TwilioRestException) as conflict:
        environment.deployments.create(build_sid=deployed.build_sid)

    assert (conflict.value.status, conflict.value.code, conflict.value.msg) == (
        409,
        20409,
        "Unable to create record: Environment already has requested deployment.",
    )
    assert state_of(fake_builds) == before
    assert environment.fetch().build_sid == deployed.build_sid


IN_USE = "Cannot delete {} because one of its Versions is part of an active Deployment."


def test_live_build_function_and_asset_cannot_be_deleted_until_an_empty_deployment(
    fake_builds: FakeBuilds,
) -> None:
    deployed = toolkit_deploy(fake_builds, Project())
    api = fake_builds.client().serverless.v1.services(deployed.service_sid)
    hello = api.functions(deployed.functions["/hello"])
    page = api.assets(deployed.assets["/index.html"])
    build = api.builds(deployed.build_sid)
    before = state_of(fake_builds)

    for resource, message in [
        (build, "Cannot delete Build because it's part of an active Deployment."),
        (hello, IN_USE.format("Function")),
        (page, IN_USE.format("Asset")),
    ]:
        with pytest.raises(TwilioRestException) as refused:
            resource.delete()
        assert (refused.value.status, refused.value.code, refused.value.msg) == (
            409,
            20409,
            f"Unable to delete record: {message}",
        )
    assert state_of(fake_builds) == before

    # An empty deployment (no BuildSid) takes the build down ...
    empty = api.environments(deployed.environment_sid).deployments.create()
    assert empty.build_sid is None
    assert api.environments(deployed.environment_sid).fetch().build_sid is None

    # ... and then everything can go, the function's versions with it.
    assert hello.delete() is True
    assert page.delete() is True
    assert build.delete() is True
    version = deployed.function_versions["/hello"]
    path = f"/v1/Services/{deployed.service_sid}/Functions/{deployed.functions['/hello']}"
    gone = raw(fake_builds, "GET", f"{path}/Versions/{version}/Content")
    assert error_of(gone) == (
        404,
        20404,
        f"The requested resource {path[3:]}/Versions/{version}/Content was not found",
    )
    assert [f.friendly_name for f in api.functions.list()] == ["/secret"]
    assert api.assets.list() == []
    assert api.builds.list() == []


def test_create_build_helper_takes_records_sids_and_dependency_pairs(
    fake_builds: FakeBuilds, service: Any, environment: Any
) -> None:
    hello = fake_builds.create_function_version(service.sid, "/hello", content=HELLO)
    secret = fake_builds.create_function_version(service.sid, "/secret", "protected", SECRET)
    page = fake_builds.create_asset_version(service.sid, "/index.html", content=PAGE)
    pairs = [("twilio", "^3.56"), ("lodash", "4.17.21")]
    quoted = '"[{"name":"twilio","version":"^3.56"},{"name":"lodash","version":"4.17.21"}]"'

    by_record = fake_builds.create_build(
        service.sid, [hello, secret], [page], dependencies=pairs, runtime="node20"
    )
    by_sid = fake_builds.create_build(
        service.sid, [hello.sid, secret.sid], [page.sid], dependencies=quoted, runtime="node20"
    )

    builds = fake_builds.client().serverless.v1.services(service.sid).builds
    one, other = builds(by_record.sid).fetch(), builds(by_sid.sid).fetch()
    for build in (one, other):
        assert build.status == "building"
        assert build.runtime == "node20"
        assert [v["sid"] for v in build.function_versions] == [hello.sid, secret.sid]
        assert [v["sid"] for v in build.asset_versions] == [page.sid]
        named = {d["name"]: d["version"] for d in build.dependencies}
        assert (named["twilio"], named["lodash"]) == ("^3.56", "4.17.21")
        assert len(named) == len(build.dependencies)  # twilio once: the named one wins
    assert one.dependencies == other.dependencies

    # The helper's build lives on the same clock and deploys like any other.
    fake_builds.advance(fake_builds.build_duration)
    assert builds(by_record.sid).build_status().fetch().status == "completed"
    fake_builds.deploy(environment, by_record)
    api = fake_builds.client().serverless.v1.services(service.sid)
    assert api.environments(environment.sid).fetch().build_sid == by_record.sid

    # Same rules as the API: a version of another Service is refused, nothing minted.
    other_service = fake_builds.create_service(unique_name="other-app")
    stranger = fake_builds.create_function_version(other_service.sid, "/hello")
    before = state_of(fake_builds)
    with pytest.raises(InvalidParameterError) as refused:
        fake_builds.create_build(service.sid, [stranger])
    assert str(refused.value) == (
        f"Invalid FunctionVersions: Function Version {stranger.sid} "
        f"was not found in Service {service.sid}"
    )
    assert state_of(fake_builds) == before
