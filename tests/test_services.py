"""Services (ZS) as a twilio-python user meets them: create, fetch, list, update, delete,
and the ``create_service`` helper."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from helpers import (
    BASE,
    UNKNOWN_SERVICE,
    error_of,
    last_body,
    not_found,
    post,
    raw,
    state_of,
    stored_sids,
)
from twilio.base.exceptions import TwilioException, TwilioRestException

from pytest_fakebuilds import ConflictError, FakeBuilds, InvalidParameterError, NotFoundError

FIELDS = {
    "sid",
    "account_sid",
    "friendly_name",
    "unique_name",
    "include_credentials",
    "ui_editable",
    "domain_base",
    "date_created",
    "date_updated",
    "url",
    "links",
}
BAD_NAME = (
    "Invalid UniqueName: '{}' may hold only letters, digits and hyphens, "
    "and may not start or end with a hyphen"
)
LIMIT = "Services are limited to less than or equal to 50"
EXISTS = "Service with this UniqueName already exists."


def next_sids(fake: FakeBuilds) -> tuple[str, str]:
    """The SID and domain base the next Service of ``fake`` gets."""
    made = fake.create_service(unique_name="probe")
    return made.sid, made.domain_base


# Create --------------------------------------------------------------------------


def test_create_answers_201_with_every_field(fake_builds: FakeBuilds, client: Any) -> None:
    service = client.serverless.v1.services.create(unique_name="my-app", friendly_name="My App")

    assert fake_builds.calls[-1].response.status == 201
    assert set(last_body(fake_builds)) == FIELDS
    assert re.fullmatch(r"ZS[0-9a-f]{32}", service.sid)
    assert service.account_sid == fake_builds.account_sid
    assert service.unique_name == "my-app"
    assert service.friendly_name == "My App"
    assert service.include_credentials is True
    assert service.ui_editable is False
    assert re.fullmatch(r"my-app-\d{4}", service.domain_base)
    assert service.date_created == fake_builds.now()
    assert service.date_updated == service.date_created
    assert service.url == f"{BASE}/v1/Services/{service.sid}"
    assert service.links == {
        "environments": f"{service.url}/Environments",
        "functions": f"{service.url}/Functions",
        "assets": f"{service.url}/Assets",
        "builds": f"{service.url}/Builds",
    }
    assert client.serverless.v1.services(service.sid).fetch().domain_base == service.domain_base


def test_create_keeps_the_booleans_given(client: Any) -> None:
    service = client.serverless.v1.services.create(
        unique_name="my-app", friendly_name="My App", include_credentials=False, ui_editable=True
    )
    assert (service.include_credentials, service.ui_editable) == (False, True)
    fetched = client.serverless.v1.services(service.sid).fetch()
    assert (fetched.include_credentials, fetched.ui_editable) == (False, True)


@pytest.mark.parametrize(
    ("credentials", "editable", "expected"),
    [("TRUE", "False", (True, False)), ("false", "tRuE", (False, True))],
)
def test_booleans_are_read_in_any_case(
    fake_builds: FakeBuilds, credentials: str, editable: str, expected: tuple[bool, bool]
) -> None:
    answer = post(
        fake_builds,
        "/v1/Services",
        UniqueName="my-app",
        FriendlyName="My App",
        IncludeCredentials=credentials,
        UiEditable=editable,
    )
    assert answer.status_code == 201
    body = answer.json()
    assert (body["include_credentials"], body["ui_editable"]) == expected


def test_domain_base_is_the_same_on_a_twin_fake(fake_builds: FakeBuilds, client: Any) -> None:
    made = [
        client.serverless.v1.services.create(unique_name=name, friendly_name=name)
        for name in ("my-app", "other-app", "third")
    ]
    for service in made:
        assert re.fullmatch(rf"{service.unique_name}-\d{{4}}", service.domain_base)

    twin = FakeBuilds(seed=fake_builds.seed)
    twins = [twin.create_service(unique_name=s.unique_name) for s in made]
    assert [s.domain_base for s in twins] == [s.domain_base for s in made]
    assert [s.sid for s in twins] == [s.sid for s in made]


def test_domain_digits_come_from_the_seed() -> None:
    def bases(seed: int) -> list[str]:
        fake = FakeBuilds(seed=seed)
        return [fake.create_service(unique_name=f"app-{n}").domain_base for n in range(5)]

    assert bases(1) == bases(1)
    assert bases(1) != bases(2)


@pytest.mark.parametrize(
    ("form", "param"),
    [
        ({"FriendlyName": "My App"}, "UniqueName"),
        ({"UniqueName": "", "FriendlyName": "My App"}, "UniqueName"),
        ({"UniqueName": "my-app"}, "FriendlyName"),
        ({"UniqueName": "my-app", "FriendlyName": ""}, "FriendlyName"),
        ({}, "UniqueName"),
    ],
    ids=["no-unique", "empty-unique", "no-friendly", "empty-friendly", "nothing"],
)
def test_required_fields(
    fake_builds: FakeBuilds, service: Any, form: dict[str, str], param: str
) -> None:
    before = state_of(fake_builds)
    answer = post(fake_builds, "/v1/Services", **form)
    assert error_of(answer) == (400, 20001, f"Missing required parameter {param} in the post body")
    assert state_of(fake_builds) == before


def test_required_field_through_the_client(fake_builds: FakeBuilds, client: Any) -> None:
    with pytest.raises(TwilioRestException) as raised:
        client.serverless.v1.services.create(unique_name="my-app", friendly_name="")
    error = raised.value
    assert (error.status, error.code) == (400, 20001)
    assert error.msg == (
        "Unable to create record: Missing required parameter FriendlyName in the post body"
    )
    assert state_of(fake_builds) == {}


@pytest.mark.parametrize(
    ("unique_name", "friendly_name", "message"),
    [
        ("a" * 51, "x", "Invalid UniqueName: must be at most 50 characters"),
        ("my-app", "x" * 256, "Invalid FriendlyName: must be at most 255 characters"),
    ],
    ids=["unique-51", "friendly-256"],
)
def test_too_long_is_refused(
    fake_builds: FakeBuilds,
    client: Any,
    service: Any,
    unique_name: str,
    friendly_name: str,
    message: str,
) -> None:
    before = state_of(fake_builds)
    with pytest.raises(TwilioRestException) as raised:
        client.serverless.v1.services.create(
            unique_name=unique_name.replace("my-app", "new-app"), friendly_name=friendly_name
        )
    assert (raised.value.status, raised.value.code) == (400, 20001)
    assert raised.value.msg == f"Unable to create record: {message}"
    assert state_of(fake_builds) == before


def test_longest_values_are_accepted(client: Any) -> None:
    name, friendly = "a" * 50, "é" * 255
    service = client.serverless.v1.services.create(unique_name=name, friendly_name=friendly)
    fetched = client.serverless.v1.services(name).fetch()
    assert (fetched.sid, fetched.unique_name, fetched.friendly_name) == (
        service.sid,
        name,
        friendly,
    )


@pytest.mark.parametrize(
    "name", ["my_app", "-app", "app-", "-", "my app", "my.app", "app!", "ünï", "app/1"]
)
def test_unique_name_characters(fake_builds: FakeBuilds, service: Any, name: str) -> None:
    before = state_of(fake_builds)
    answer = post(fake_builds, "/v1/Services", UniqueName=name, FriendlyName="x")
    assert error_of(answer) == (400, 20001, BAD_NAME.format(name))
    assert state_of(fake_builds) == before


@pytest.mark.parametrize("name", ["it's", "app\n"], ids=["quote", "newline"])
def test_unique_name_is_quoted_as_given(fake_builds: FakeBuilds, name: str) -> None:
    answer = post(fake_builds, "/v1/Services", UniqueName=name, FriendlyName="x")
    assert error_of(answer) == (400, 20001, BAD_NAME.format(name))


@pytest.mark.parametrize("name", ["a", "A1", "123", "my--app", "My-App-2"])
def test_unique_names_of_letters_digits_and_inner_hyphens(client: Any, name: str) -> None:
    service = client.serverless.v1.services.create(unique_name=name, friendly_name=name)
    assert service.unique_name == name
    assert re.fullmatch(rf"{name}-\d{{4}}", service.domain_base)


@pytest.mark.parametrize("param", ["IncludeCredentials", "UiEditable"])
@pytest.mark.parametrize("value", ["yes", "1", "", "truth", "no"])
def test_booleans_must_be_true_or_false(
    fake_builds: FakeBuilds, service: Any, param: str, value: str
) -> None:
    before = state_of(fake_builds)
    answer = post(
        fake_builds, "/v1/Services", UniqueName="new-app", FriendlyName="x", **{param: value}
    )
    message = f"Invalid {param}: '{value}' is not a boolean (true or false)"
    assert error_of(answer) == (400, 20001, message)
    assert state_of(fake_builds) == before


def test_a_boolean_with_spaces_is_not_a_boolean(fake_builds: FakeBuilds) -> None:
    answer = post(
        fake_builds, "/v1/Services", UniqueName="new-app", FriendlyName="x", UiEditable=" true"
    )
    message = "Invalid UiEditable: ' true' is not a boolean (true or false)"
    assert error_of(answer) == (400, 20001, message)


def test_duplicate_unique_name_is_409_and_mints_nothing(
    fake_builds: FakeBuilds, client: Any, service: Any
) -> None:
    before = state_of(fake_builds)
    with pytest.raises(TwilioRestException) as raised:
        client.serverless.v1.services.create(unique_name="my-app", friendly_name="Again")
    assert (raised.value.status, raised.value.code) == (409, 20409)
    assert raised.value.msg == f"Unable to create record: {EXISTS}"
    assert state_of(fake_builds) == before

    twin = FakeBuilds(seed=fake_builds.seed)
    twin.create_service(unique_name="my-app")
    assert next_sids(fake_builds) == next_sids(twin)


def test_the_51st_service_is_refused(fake_builds: FakeBuilds, client: Any) -> None:
    for number in range(50):
        fake_builds.create_service(unique_name=f"app-{number}")
    before = state_of(fake_builds)
    assert len(before) == 50

    with pytest.raises(TwilioRestException) as raised:
        client.serverless.v1.services.create(unique_name="one-more", friendly_name="x")
    assert (raised.value.status, raised.value.code) == (400, 20001)
    assert raised.value.msg == f"Unable to create record: {LIMIT}"
    with pytest.raises(InvalidParameterError, match=f"^{LIMIT}$"):
        fake_builds.create_service(unique_name="one-more")
    assert state_of(fake_builds) == before

    # Deleting one makes room again, and the refusals shifted no SID.
    assert client.serverless.v1.services("app-0").delete() is True
    made = client.serverless.v1.services.create(unique_name="one-more", friendly_name="x")
    twin = FakeBuilds(seed=fake_builds.seed)
    for number in range(50):
        twin.create_service(unique_name=f"app-{number}")
    with twin:
        twin.client().serverless.v1.services("app-0").delete()
    assert made.sid == twin.create_service(unique_name="again").sid


# Fetch ---------------------------------------------------------------------------


def test_fetch_by_sid_and_by_unique_name(fake_builds: FakeBuilds, client: Any) -> None:
    service = fake_builds.create_service(unique_name="my-app", friendly_name="My App")
    fake_builds.create_service(unique_name="other-app")
    by_sid = client.serverless.v1.services(service.sid).fetch()
    by_sid_body = last_body(fake_builds)
    by_name = client.serverless.v1.services("my-app").fetch()
    assert urlsplit(fake_builds.calls[-1].request.url).path == "/v1/Services/my-app"
    assert last_body(fake_builds) == by_sid_body
    assert by_name.sid == by_sid.sid == service.sid
    assert by_name.url == f"{BASE}/v1/Services/{service.sid}"
    assert (by_sid.unique_name, by_sid.friendly_name, by_sid.domain_base) == (
        "my-app",
        "My App",
        service.domain_base,
    )


@pytest.mark.parametrize("key", [UNKNOWN_SERVICE, "no-such-app", "ZS123"])
def test_fetch_of_an_unknown_service_is_404(
    fake_builds: FakeBuilds, client: Any, service: Any, key: str
) -> None:
    before = state_of(fake_builds)
    with pytest.raises(TwilioRestException) as raised:
        client.serverless.v1.services(key).fetch()
    assert (raised.value.status, raised.value.code) == (404, 20404)
    assert raised.value.msg == f"Unable to fetch record: {not_found(f'/Services/{key}')}"
    assert state_of(fake_builds) == before


@pytest.mark.parametrize("family", ["Environments", "Functions", "Assets", "Builds"])
def test_sub_resource_paths_need_the_sid(
    fake_builds: FakeBuilds, service: Any, family: str
) -> None:
    environment = fake_builds.create_environment(service.sid, domain_suffix="dev")
    hello = fake_builds.create_function_version(service.sid, "/hello")
    style = fake_builds.create_asset_version(service.sid, "/style.css")
    build = fake_builds.create_build(service.sid, [hello])
    sid = {
        "Environments": environment.sid,
        "Functions": hello.function_sid,
        "Assets": style.asset_sid,
        "Builds": build.sid,
    }[family]
    form = {
        "Environments": {"UniqueName": "stage", "DomainSuffix": "stage"},
        "Functions": {"FriendlyName": "/other"},
        "Assets": {"FriendlyName": "/other.css"},
        "Builds": {"FunctionVersions": hello.sid},
    }[family]
    before = state_of(fake_builds)
    for method, path, data in (
        ("GET", f"/v1/Services/my-app/{family}", None),
        ("POST", f"/v1/Services/my-app/{family}", form),
        ("GET", f"/v1/Services/my-app/{family}/{sid}", None),
        ("DELETE", f"/v1/Services/my-app/{family}/{sid}", None),
    ):
        answer = raw(fake_builds, method, path, data=data)
        assert error_of(answer) == (404, 20404, not_found(path)), method
    assert state_of(fake_builds) == before
    # The same requests by SID are answered.
    assert raw(fake_builds, "GET", f"/v1/Services/{service.sid}/{family}/{sid}").ok
    assert raw(fake_builds, "POST", f"/v1/Services/{service.sid}/{family}", data=form).ok


def test_sub_resources_by_unique_name_through_the_client(
    fake_builds: FakeBuilds, client: Any, service: Any
) -> None:
    before = state_of(fake_builds)
    by_name = client.serverless.v1.services("my-app")
    with pytest.raises(TwilioException, match="Unable to fetch page"):
        by_name.environments.list()
    with pytest.raises(TwilioRestException) as raised:
        by_name.environments.create(unique_name="production")
    assert raised.value.status == 404
    assert raised.value.msg == (
        f"Unable to create record: {not_found('/Services/my-app/Environments')}"
    )
    assert state_of(fake_builds) == before


# List ----------------------------------------------------------------------------


def test_list_is_newest_first_across_pages(fake_builds: FakeBuilds, client: Any) -> None:
    made = [fake_builds.create_service(unique_name=f"app-{n}").sid for n in range(5)]
    services = client.serverless.v1.services

    before = len(fake_builds.calls)
    assert [s.sid for s in services.list(page_size=2)] == made[::-1]
    assert len(fake_builds.calls) - before == 3  # 2 + 2 + 1

    before = len(fake_builds.calls)
    assert [s.sid for s in services.stream(limit=3, page_size=2)] == made[::-1][:3]
    assert len(fake_builds.calls) - before == 2

    assert [s.sid for s in services.list()] == made[::-1]


def test_next_page_urls_lead_through_every_service(fake_builds: FakeBuilds) -> None:
    made = [fake_builds.create_service(unique_name=f"app-{n}").sid for n in range(5)]
    seen: list[str] = []
    pages = 0
    url: str | None = f"{BASE}/v1/Services?PageSize=2"
    while url:
        answer = raw(fake_builds, "GET", url.removeprefix(BASE))
        assert answer.status_code == 200
        body = answer.json()
        assert body["meta"]["key"] == "services"
        assert body["meta"]["page"] == pages
        assert body["meta"]["page_size"] == 2
        seen.extend(s["sid"] for s in body["services"])
        url = body["meta"]["next_page_url"]
        pages += 1
    assert seen == made[::-1]
    assert pages == 3


def test_list_envelope_of_an_account_without_services(fake_builds: FakeBuilds) -> None:
    answer = raw(fake_builds, "GET", "/v1/Services")
    assert answer.json() == {
        "services": [],
        "meta": {
            "first_page_url": f"{BASE}/v1/Services?PageSize=50&Page=0",
            "key": "services",
            "next_page_url": None,
            "page": 0,
            "page_size": 50,
            "previous_page_url": None,
            "url": f"{BASE}/v1/Services?PageSize=50&Page=0",
        },
    }


def test_list_shows_what_fetch_shows(fake_builds: FakeBuilds, client: Any, service: Any) -> None:
    (listed,) = client.serverless.v1.services.list()
    fetched = client.serverless.v1.services(service.sid).fetch()
    for name in FIELDS:
        assert getattr(listed, name) == getattr(fetched, name)


# Update --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "attribute", "value"),
    [
        ({"friendly_name": "Renamed"}, "friendly_name", "Renamed"),
        ({"include_credentials": False}, "include_credentials", False),
        ({"ui_editable": True}, "ui_editable", True),
    ],
)
def test_update_each_field(
    fake_builds: FakeBuilds,
    client: Any,
    service: Any,
    changes: dict[str, Any],
    attribute: str,
    value: Any,
) -> None:
    original = client.serverless.v1.services(service.sid).fetch()
    fake_builds.advance(90)

    updated = client.serverless.v1.services(service.sid).update(**changes)

    assert getattr(updated, attribute) == value
    assert updated.date_updated == fake_builds.now()
    assert updated.date_created == original.date_created
    assert updated.date_updated != original.date_updated
    for name in FIELDS - {attribute, "date_updated"}:
        assert getattr(updated, name) == getattr(original, name), name
    fetched = client.serverless.v1.services(service.sid).fetch()
    assert getattr(fetched, attribute) == value
    assert fetched.date_updated == fake_builds.now()
    assert getattr(service, attribute) == value  # the helper's record is the one served


def test_update_by_unique_name(fake_builds: FakeBuilds, client: Any, service: Any) -> None:
    fake_builds.advance(5)
    updated = client.serverless.v1.services("my-app").update(
        friendly_name="Both", include_credentials=False, ui_editable=True
    )
    assert updated.sid == service.sid
    assert (updated.friendly_name, updated.include_credentials, updated.ui_editable) == (
        "Both",
        False,
        True,
    )
    assert updated.date_updated == fake_builds.now()


def test_update_date_follows_the_clock(fake_builds: FakeBuilds, client: Any, service: Any) -> None:
    context = client.serverless.v1.services(service.sid)
    stamps = []
    for seconds in (1, 60, 3600):
        fake_builds.advance(seconds)
        stamps.append(context.update(friendly_name=f"after {seconds}").date_updated)
        assert stamps[-1] == fake_builds.now()
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == 3


def test_unique_name_cannot_be_updated(fake_builds: FakeBuilds, client: Any, service: Any) -> None:
    answer = post(
        fake_builds, f"/v1/Services/{service.sid}", UniqueName="renamed", FriendlyName="Renamed"
    )
    assert answer.status_code == 200
    assert answer.json()["unique_name"] == "my-app"
    assert answer.json()["friendly_name"] == "Renamed"
    assert client.serverless.v1.services("my-app").fetch().sid == service.sid
    with pytest.raises(TwilioRestException) as raised:
        client.serverless.v1.services("renamed").fetch()
    assert raised.value.status == 404


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"FriendlyName": "x" * 256}, "Invalid FriendlyName: must be at most 255 characters"),
        (
            {"IncludeCredentials": "maybe"},
            "Invalid IncludeCredentials: 'maybe' is not a boolean (true or false)",
        ),
        ({"UiEditable": "1"}, "Invalid UiEditable: '1' is not a boolean (true or false)"),
        (
            {"FriendlyName": "Fine", "UiEditable": "nope"},
            "Invalid UiEditable: 'nope' is not a boolean (true or false)",
        ),
    ],
    ids=["friendly-256", "credentials", "editable", "partly-good"],
)
def test_refused_update_changes_nothing(
    fake_builds: FakeBuilds, service: Any, form: dict[str, str], message: str
) -> None:
    fake_builds.advance(30)
    before = state_of(fake_builds)
    answer = post(fake_builds, f"/v1/Services/{service.sid}", **form)
    assert error_of(answer) == (400, 20001, message)
    assert state_of(fake_builds) == before


def test_update_of_an_unknown_service_is_404(
    fake_builds: FakeBuilds, client: Any, service: Any
) -> None:
    before = state_of(fake_builds)
    with pytest.raises(TwilioRestException) as raised:
        client.serverless.v1.services(UNKNOWN_SERVICE).update(friendly_name="x")
    assert (raised.value.status, raised.value.code) == (404, 20404)
    assert (
        raised.value.msg == f"Unable to update record: {not_found(f'/Services/{UNKNOWN_SERVICE}')}"
    )
    assert state_of(fake_builds) == before


# Delete --------------------------------------------------------------------------


@pytest.mark.parametrize("by", ["sid", "unique_name"])
def test_delete_answers_204_then_fetch_is_404(
    fake_builds: FakeBuilds, client: Any, service: Any, by: str
) -> None:
    key = service.sid if by == "sid" else "my-app"
    assert client.serverless.v1.services(key).delete() is True
    assert fake_builds.calls[-1].response.status == 204
    assert fake_builds.calls[-1].response.body == b""
    for gone in (service.sid, "my-app"):
        with pytest.raises(TwilioRestException) as raised:
            client.serverless.v1.services(gone).fetch()
        assert raised.value.msg == f"Unable to fetch record: {not_found(f'/Services/{gone}')}"
    assert state_of(fake_builds) == {}


def test_delete_of_an_unknown_service_is_404(
    fake_builds: FakeBuilds, client: Any, service: Any
) -> None:
    before = state_of(fake_builds)
    for key in (UNKNOWN_SERVICE, "no-such-app"):
        with pytest.raises(TwilioRestException) as raised:
            client.serverless.v1.services(key).delete()
        assert (raised.value.status, raised.value.code) == (404, 20404)
        assert raised.value.msg == f"Unable to delete record: {not_found(f'/Services/{key}')}"
    assert state_of(fake_builds) == before


def test_delete_twice_is_404_the_second_time(
    fake_builds: FakeBuilds, client: Any, service: Any
) -> None:
    kept = fake_builds.create_service("other-app")
    assert client.serverless.v1.services(service.sid).delete() is True
    before = state_of(fake_builds)
    with pytest.raises(TwilioRestException) as raised:
        client.serverless.v1.services(service.sid).delete()
    assert (raised.value.status, raised.value.code) == (404, 20404)
    assert state_of(fake_builds) == before
    assert list(before) == [kept.sid]


def populate(fake: FakeBuilds, service_sid: str) -> dict[str, str]:
    """One of everything a Service holds, with a build live on an environment."""
    function = fake.create_function_version(service_sid, "/hello")
    asset = fake.create_asset_version(service_sid, "/style.css", content=b"body {}")
    build = fake.create_build(service_sid, [function], [asset])
    fake.advance(fake.build_duration)
    environment = fake.create_environment(service_sid, domain_suffix="dev")
    deployment = fake.deploy(environment, build)
    variable = fake.set_variable(environment, "GREETING", "hello")
    log = fake.add_log(environment, "said hello", function_sid=function.function_sid)
    base = f"/v1/Services/{service_sid}"
    env = f"{base}/Environments/{environment.sid}"
    return {
        "environment": env,
        "function": f"{base}/Functions/{function.function_sid}",
        "function_version": f"{base}/Functions/{function.function_sid}/Versions/{function.sid}",
        "asset": f"{base}/Assets/{asset.asset_sid}",
        "asset_version": f"{base}/Assets/{asset.asset_sid}/Versions/{asset.sid}",
        "build": f"{base}/Builds/{build.sid}",
        "deployment": f"{env}/Deployments/{deployment.sid}",
        "variable": f"{env}/Variables/{variable.sid}",
        "log": f"{env}/Logs/{log.sid}",
        "environment_sid": environment.sid,
    }


def test_delete_cascades_to_everything_in_the_service(
    fake_builds: FakeBuilds, client: Any, service: Any
) -> None:
    paths = populate(fake_builds, service.sid)
    environment_sid = paths.pop("environment_sid")
    other = fake_builds.create_service(unique_name="other-app")
    populate(fake_builds, other.sid)
    for path in paths.values():
        assert raw(fake_builds, "GET", path).status_code == 200, path
    before = state_of(fake_builds)
    held = stored_sids(fake_builds)
    gone = {sid for sid in held if sid in json.dumps(before[service.sid])}
    assert len(gone) == 10  # the service and one of each kind of record in it

    assert client.serverless.v1.services(service.sid).delete() is True

    for name, path in paths.items():
        answer = raw(fake_builds, "GET", path)
        assert error_of(answer) == (404, 20404, not_found(path)), name
    # The environment's records are gone from the store, not just out of reach.
    with pytest.raises(NotFoundError):
        fake_builds.deploy(environment_sid)
    with pytest.raises(NotFoundError):
        fake_builds.set_variable(environment_sid, "GREETING", "again")
    with pytest.raises(NotFoundError):
        fake_builds.add_log(environment_sid, "anyone there?")
    # Nothing of the service is left in the store; everything of the other one is.
    assert stored_sids(fake_builds) == held - gone
    # The other service did not notice.
    del before[service.sid]
    assert state_of(fake_builds) == before


def test_a_deleted_unique_name_can_be_taken_again(
    fake_builds: FakeBuilds, client: Any, service: Any
) -> None:
    populate(fake_builds, service.sid)
    client.serverless.v1.services("my-app").delete()
    again = client.serverless.v1.services.create(unique_name="my-app", friendly_name="Again")
    assert again.sid != service.sid
    state = state_of(fake_builds)
    assert list(state) == [again.sid]
    contents = state[again.sid]
    assert [contents[k] for k in ("environments", "functions", "assets", "builds")] == [[]] * 4


# The create_service helper ----------------------------------------------------------


def test_helper_defaults(fake_builds: FakeBuilds, client: Any) -> None:
    first = fake_builds.create_service()
    second = fake_builds.create_service()
    named = fake_builds.create_service("named")
    assert [s.unique_name for s in (first, second, named)] == ["service-1", "service-2", "named"]
    assert [s.friendly_name for s in (first, second, named)] == [
        "service-1",
        "service-2",
        "named",
    ]
    fetched = client.serverless.v1.services("named").fetch()
    assert (fetched.sid, fetched.include_credentials, fetched.ui_editable) == (
        named.sid,
        True,
        False,
    )
    assert re.fullmatch(r"named-\d{4}", fetched.domain_base)


def test_helper_default_name_skips_taken_names(fake_builds: FakeBuilds) -> None:
    fake_builds.create_service("service-1")
    fake_builds.create_service("service-2")
    assert fake_builds.create_service().unique_name == "service-3"


def test_helper_takes_every_field(fake_builds: FakeBuilds, client: Any) -> None:
    made = fake_builds.create_service(
        "my-app", "My App", include_credentials=False, ui_editable=True
    )
    fetched = client.serverless.v1.services(made.sid).fetch()
    assert (
        fetched.unique_name,
        fetched.friendly_name,
        fetched.include_credentials,
        fetched.ui_editable,
        fetched.domain_base,
        fetched.date_created,
    ) == ("my-app", "My App", False, True, made.domain_base, fake_builds.now())


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"unique_name": "my-app"}, ConflictError, EXISTS),
        ({"unique_name": "my_app"}, InvalidParameterError, BAD_NAME.format("my_app")),
        (
            {"unique_name": "a" * 51},
            InvalidParameterError,
            "Invalid UniqueName: must be at most 50 characters",
        ),
        (
            {"unique_name": "new-app", "friendly_name": "x" * 256},
            InvalidParameterError,
            "Invalid FriendlyName: must be at most 255 characters",
        ),
        (
            {"unique_name": ""},
            InvalidParameterError,
            "Missing required parameter UniqueName in the post body",
        ),
    ],
    ids=["duplicate", "characters", "unique-51", "friendly-256", "empty"],
)
def test_helper_refusals_raise_and_mint_nothing(
    fake_builds: FakeBuilds, service: Any, kwargs: dict[str, Any], error: type, message: str
) -> None:
    before = state_of(fake_builds)
    with pytest.raises(error) as raised:
        fake_builds.create_service(**kwargs)
    assert isinstance(raised.value, ValueError)
    assert raised.value.message == message
    expected = (409, 20409) if error is ConflictError else (400, 20001)
    assert (raised.value.status, raised.value.code) == expected
    assert state_of(fake_builds) == before

    twin = FakeBuilds(seed=fake_builds.seed)
    twin.create_service(unique_name="my-app")
    assert next_sids(fake_builds) == next_sids(twin)


def test_sub_resource_helpers_want_a_service_sid(fake_builds: FakeBuilds, service: Any) -> None:
    before = state_of(fake_builds)
    for key in ("my-app", UNKNOWN_SERVICE):
        with pytest.raises(NotFoundError) as raised:
            fake_builds.create_environment(key)
        assert isinstance(raised.value, LookupError)
        assert raised.value.status == 404
    assert state_of(fake_builds) == before
