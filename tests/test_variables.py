"""Variables: an environment's key-value settings, one per Key, upserted by the toolkit."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import requests
from helpers import (
    BASE,
    UNKNOWN_ENVIRONMENT,
    assert_same_next_sid,
    auth_of,
    error_of,
    last_body,
    not_found,
    page_refused,
    raw,
    refused,
    state_of,
)
from twilio.base.exceptions import TwilioException, TwilioRestException

from pytest_fakebuilds import FakeBuilds, InvalidParameterError, NotFoundError

FIELDS = {
    "sid",
    "account_sid",
    "service_sid",
    "environment_sid",
    "key",
    "value",
    "date_created",
    "date_updated",
    "url",
}
UNKNOWN_VARIABLE = "ZV" + "0" * 32
EXISTS = "Variable with this Key already exists."
KEY_TOO_LONG = "Invalid Key: must be at most 128 characters"
VALUE_TOO_LONG = "Invalid Value: must be at most 450 bytes"


@pytest.fixture
def variables(api: Any, environment: Any) -> Any:
    return api.environments(environment.sid).variables


@pytest.fixture
def path(service: Any, environment: Any) -> str:
    return f"/v1/Services/{service.sid}/Environments/{environment.sid}/Variables"


# Create, fetch, list ------------------------------------------------------------------


def test_create_answers_201_with_every_field(
    fake_builds: FakeBuilds, variables: Any, service: Any, environment: Any
) -> None:
    fake_builds.advance(timedelta(hours=2))
    answer = variables.create_with_http_info(key="GREETING", value="hello")
    assert answer.status_code == 201
    assert set(last_body(fake_builds)) == FIELDS
    variable = answer.data
    assert variable.sid.startswith("ZV")
    assert len(variable.sid) == 34
    assert variable.account_sid == fake_builds.account_sid
    assert variable.service_sid == service.sid
    assert variable.environment_sid == environment.sid
    assert (variable.key, variable.value) == ("GREETING", "hello")
    assert variable.date_created == variable.date_updated == fake_builds.now()
    assert variable.url == (
        f"{BASE}/v1/Services/{service.sid}/Environments/{environment.sid}/Variables/{variable.sid}"
    )


def test_fetch_matches_create(fake_builds: FakeBuilds, variables: Any) -> None:
    created = variables.create(key="GREETING", value="hello")
    created_body = last_body(fake_builds)
    fetched = variables(created.sid).fetch()
    assert last_body(fake_builds) == created_body
    assert (fetched.sid, fetched.key, fetched.value) == (created.sid, "GREETING", "hello")


def test_list_is_newest_first_across_pages(
    fake_builds: FakeBuilds, variables: Any, path: str
) -> None:
    made = [variables.create(key=f"KEY_{n}", value=str(n)) for n in range(5)]
    before = len(fake_builds.calls)
    listed = variables.list(page_size=2)
    assert [v.sid for v in listed] == [v.sid for v in made][::-1]
    assert [v.key for v in listed] == ["KEY_4", "KEY_3", "KEY_2", "KEY_1", "KEY_0"]
    pages = fake_builds.calls[before:]
    assert len(pages) == 3
    first = json.loads(pages[0].response.body)["meta"]
    assert first["key"] == "variables"
    assert first["first_page_url"] == f"{BASE}{path}?PageSize=2&Page=0"
    assert json.loads(pages[-1].response.body)["meta"]["next_page_url"] is None


def test_empty_list(fake_builds: FakeBuilds, path: str) -> None:
    answer = raw(fake_builds, "GET", path)
    assert answer.status_code == 200
    assert answer.json() == {
        "variables": [],
        "meta": {
            "first_page_url": f"{BASE}{path}?PageSize=50&Page=0",
            "key": "variables",
            "next_page_url": None,
            "page": 0,
            "page_size": 50,
            "previous_page_url": None,
            "url": f"{BASE}{path}?PageSize=50&Page=0",
        },
    }


def test_each_environment_lists_its_own(api: Any, environment: Any, stage: Any) -> None:
    dev_one = api.environments(environment.sid).variables.create(key="A", value="dev")
    stage_one = api.environments(stage.sid).variables.create(key="A", value="stage")
    assert [v.sid for v in api.environments(environment.sid).variables.list()] == [dev_one.sid]
    assert [v.sid for v in api.environments(stage.sid).variables.list()] == [stage_one.sid]


# Update and delete ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"key": "SALUTATION"}, ("SALUTATION", "hello")),
        ({"value": "hi"}, ("GREETING", "hi")),
        ({"key": "SALUTATION", "value": "hi"}, ("SALUTATION", "hi")),
        ({"key": "GREETING", "value": "hi"}, ("GREETING", "hi")),  # the toolkit resends Key
    ],
    ids=["key", "value", "both", "same-key-and-value"],
)
def test_update_changes_what_it_is_given_and_moves_date_updated(
    fake_builds: FakeBuilds,
    variables: Any,
    change: dict[str, str],
    expected: tuple[str, str],
) -> None:
    created = variables.create(key="GREETING", value="hello")
    fake_builds.advance(timedelta(minutes=30))
    answer = variables(created.sid).update_with_http_info(**change)
    assert answer.status_code == 200
    updated = answer.data
    assert set(last_body(fake_builds)) == FIELDS
    assert (updated.key, updated.value) == expected
    assert updated.sid == created.sid
    assert updated.date_created == created.date_created
    assert updated.date_updated == fake_builds.now() == created.date_created + timedelta(minutes=30)
    fetched = variables(created.sid).fetch()
    assert (fetched.key, fetched.value, fetched.date_updated) == (*expected, fake_builds.now())


def test_renamed_key_is_free_again(variables: Any) -> None:
    created = variables.create(key="GREETING", value="hello")
    variables(created.sid).update(key="SALUTATION")
    again = variables.create(key="GREETING", value="hey")
    assert sorted(v.key for v in variables.list()) == ["GREETING", "SALUTATION"]
    assert again.sid != created.sid


def test_delete_answers_204_and_the_key_is_free_again(
    fake_builds: FakeBuilds, variables: Any, service: Any, environment: Any
) -> None:
    created = variables.create(key="GREETING", value="hello")
    kept = variables.create(key="OTHER", value="x")
    answer = variables(created.sid).delete_with_http_info()
    assert answer.status_code == 204
    assert fake_builds.calls[-1].response.body == b""
    assert [v.sid for v in variables.list()] == [kept.sid]
    with pytest.raises(TwilioRestException) as gone:
        variables(created.sid).fetch()
    assert refused(gone.value) == (
        404,
        20404,
        f"Unable to fetch record: The requested resource /Services/{service.sid}"
        f"/Environments/{environment.sid}/Variables/{created.sid} was not found",
    )
    with pytest.raises(TwilioRestException) as twice:
        variables(created.sid).delete()
    assert twice.value.status == 404
    assert variables.create(key="GREETING", value="again").sid != created.sid


# Limits -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    ["K" * 128, "é" * 128, "😀" * 128],
    ids=["ascii", "two-byte", "four-byte"],
)
def test_a_key_of_128_characters_is_accepted(variables: Any, key: str) -> None:
    assert variables.create(key=key, value="v").key == key


@pytest.mark.parametrize(
    "value",
    ["v" * 450, "é" * 225, "€" * 150, "😀" * 112 + "ab"],
    ids=["ascii", "two-byte", "three-byte", "four-byte"],
)
def test_a_value_of_450_bytes_is_accepted(variables: Any, value: str) -> None:
    assert len(value.encode()) == 450
    created = variables.create(key="K", value=value)
    assert created.value == value
    assert variables(created.sid).fetch().value == value


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("K" * 129, "v", KEY_TOO_LONG),
        ("é" * 129, "v", KEY_TOO_LONG),
        ("K", "v" * 451, VALUE_TOO_LONG),
        ("K", "é" * 226, VALUE_TOO_LONG),  # 226 characters, 452 bytes
        ("K", "€" * 151, VALUE_TOO_LONG),
        ("K", "😀" * 113, VALUE_TOO_LONG),  # 113 characters, 452 bytes
        ("K", "😀" * 112 + "abc", VALUE_TOO_LONG),  # 451 bytes
    ],
    ids=[
        "key-ascii",
        "key-two-byte",
        "value-ascii",
        "value-two-byte",
        "value-three-byte",
        "value-four-byte",
        "value-one-over",
    ],
)
def test_too_long_is_refused_on_create(
    fake_builds: FakeBuilds, variables: Any, key: str, value: str, message: str
) -> None:
    before = state_of(fake_builds)
    with pytest.raises(TwilioRestException) as raised:
        variables.create(key=key, value=value)
    assert refused(raised.value) == (400, 20001, f"Unable to create record: {message}")
    assert state_of(fake_builds) == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"key": "K" * 129}, KEY_TOO_LONG),
        ({"value": "é" * 226}, VALUE_TOO_LONG),
        ({"key": "FINE", "value": "v" * 451}, VALUE_TOO_LONG),
        ({"key": "K" * 129, "value": "fine"}, KEY_TOO_LONG),
    ],
    ids=["key", "value", "fine-key-long-value", "long-key-fine-value"],
)
def test_too_long_is_refused_on_update(
    fake_builds: FakeBuilds, variables: Any, change: dict[str, str], message: str
) -> None:
    created = variables.create(key="GREETING", value="hello")
    fake_builds.advance(60)
    before = state_of(fake_builds)
    with pytest.raises(TwilioRestException) as raised:
        variables(created.sid).update(**change)
    assert refused(raised.value) == (400, 20001, f"Unable to update record: {message}")
    assert state_of(fake_builds) == before


@pytest.mark.parametrize(
    ("form", "missing"),
    [({"Value": "v"}, "Key"), ({"Key": "K"}, "Value"), ({"Key": "", "Value": "v"}, "Key")],
    ids=["no-key", "no-value", "empty-key"],
)
def test_key_and_value_are_required(
    fake_builds: FakeBuilds, path: str, form: dict[str, str], missing: str
) -> None:
    before = state_of(fake_builds)
    answer = raw(fake_builds, "POST", path, data=form)
    assert error_of(answer) == (
        400,
        20001,
        f"Missing required parameter {missing} in the post body",
    )
    assert state_of(fake_builds) == before


# One Variable per Key -------------------------------------------------------------------


def test_duplicate_key_on_create_is_409(fake_builds: FakeBuilds, variables: Any) -> None:
    variables.create(key="GREETING", value="hello")
    before = state_of(fake_builds)
    with pytest.raises(TwilioRestException) as raised:
        variables.create(key="GREETING", value="hey")
    assert refused(raised.value) == (409, 20409, f"Unable to create record: {EXISTS}")
    assert state_of(fake_builds) == before
    assert [v.value for v in variables.list()] == ["hello"]


def test_update_to_an_existing_key_is_409(fake_builds: FakeBuilds, variables: Any) -> None:
    variables.create(key="GREETING", value="hello")
    other = variables.create(key="OTHER", value="x")
    fake_builds.advance(60)
    before = state_of(fake_builds)
    with pytest.raises(TwilioRestException) as raised:
        variables(other.sid).update(key="GREETING", value="changed")
    assert refused(raised.value) == (409, 20409, f"Unable to update record: {EXISTS}")
    assert state_of(fake_builds) == before
    assert variables(other.sid).fetch().value == "x"


def test_the_same_key_is_allowed_in_another_environment(
    api: Any, environment: Any, stage: Any
) -> None:
    dev_one = api.environments(environment.sid).variables.create(key="GREETING", value="dev")
    stage_one = api.environments(stage.sid).variables.create(key="GREETING", value="stage")
    assert dev_one.sid != stage_one.sid
    renamed = api.environments(stage.sid).variables.create(key="OTHER", value="x")
    assert api.environments(stage.sid).variables(renamed.sid).fetch().key == "OTHER"
    # Only the environment's own keys conflict on update too.
    api.environments(environment.sid).variables(dev_one.sid).update(key="OTHER")
    assert {v.key for v in api.environments(environment.sid).variables.list()} == {"OTHER"}


def world(fake: FakeBuilds) -> dict[str, str]:
    """The same records, with the same SIDs, in any fake of the same seed."""
    service = fake.create_service(unique_name="my-app")
    dev = fake.create_environment(service.sid, domain_suffix="dev")
    stage = fake.create_environment(service.sid, domain_suffix="stage")
    first = fake.set_variable(dev, "GREETING", "hello")
    second = fake.set_variable(dev, "OTHER", "x")
    return {
        "service": service.sid,
        "dev": dev.sid,
        "stage": stage.sid,
        "first": first.sid,
        "second": second.sid,
    }


# (method, environment, variable or None, form, status, code, message)
REFUSALS: dict[str, tuple[str, str, str | None, dict[str, str], int, int, str]] = {
    "duplicate-create": (
        "POST",
        "{dev}",
        None,
        {"Key": "GREETING", "Value": "v"},
        409,
        20409,
        EXISTS,
    ),
    "duplicate-update": ("POST", "{dev}", "{second}", {"Key": "GREETING"}, 409, 20409, EXISTS),
    "long-key": ("POST", "{dev}", None, {"Key": "K" * 129, "Value": "v"}, 400, 20001, KEY_TOO_LONG),
    "long-value": ("POST", "{dev}", "{first}", {"Value": "é" * 226}, 400, 20001, VALUE_TOO_LONG),
    "missing-value": (
        "POST",
        "{dev}",
        None,
        {"Key": "K"},
        400,
        20001,
        "Missing required parameter Value in the post body",
    ),
    "unknown-environment": (
        "POST",
        UNKNOWN_ENVIRONMENT,
        None,
        {"Key": "K", "Value": "v"},
        404,
        20404,
        f"The requested resource /Services/{{service}}/Environments/{UNKNOWN_ENVIRONMENT}"
        "/Variables was not found",
    ),
    "update-through-another-environment": (
        "POST",
        "{stage}",
        "{first}",
        {"Value": "v"},
        404,
        20404,
        "The requested resource /Services/{service}/Environments/{stage}/Variables/{first}"
        " was not found",
    ),
    "delete-through-another-environment": (
        "DELETE",
        "{stage}",
        "{first}",
        {},
        404,
        20404,
        "The requested resource /Services/{service}/Environments/{stage}/Variables/{first}"
        " was not found",
    ),
    "delete-unknown": (
        "DELETE",
        "{dev}",
        UNKNOWN_VARIABLE,
        {},
        404,
        20404,
        "The requested resource /Services/{service}/Environments/{dev}/Variables/"
        f"{UNKNOWN_VARIABLE} was not found",
    ),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_refusal_answers_exactly_and_leaves_no_trace(fake_builds: FakeBuilds, case: str) -> None:
    names = world(fake_builds)
    method, where, variable, form, status, code, message = REFUSALS[case]
    path = f"/v1/Services/{names['service']}/Environments/{where.format(**names)}/Variables"
    if variable is not None:
        path += "/" + variable.format(**names)
    fake_builds.advance(60)
    before = state_of(fake_builds)
    answer = raw(fake_builds, method, path, data=form)
    assert error_of(answer) == (status, code, message.format(**names))
    assert state_of(fake_builds) == before
    # The SID sequence did not move either.
    assert_same_next_sid(
        fake_builds, world, names, lambda fake: fake.set_variable(names["stage"], "NEXT", "1").sid
    )


def test_fetch_through_another_environment_is_404(
    api: Any, service: Any, environment: Any, stage: Any
) -> None:
    created = api.environments(environment.sid).variables.create(key="K", value="v")
    with pytest.raises(TwilioRestException) as raised:
        api.environments(stage.sid).variables(created.sid).fetch()
    assert refused(raised.value) == (
        404,
        20404,
        f"Unable to fetch record: The requested resource /Services/{service.sid}"
        f"/Environments/{stage.sid}/Variables/{created.sid} was not found",
    )


def test_list_of_an_unknown_environment_fails(api: Any, service: Any) -> None:
    with pytest.raises(TwilioException) as refused_list:
        api.environments(UNKNOWN_ENVIRONMENT).variables.list()
    path = f"/v1/Services/{service.sid}/Environments/{UNKNOWN_ENVIRONMENT}/Variables"
    assert page_refused(refused_list.value) == (404, 20404, not_found(path))


def test_a_unique_name_in_the_path_is_404(
    fake_builds: FakeBuilds, service: Any, environment: Any
) -> None:
    fake_builds.set_variable(environment, "K", "v")
    path = f"/v1/Services/my-app/Environments/{environment.sid}/Variables"
    before = state_of(fake_builds)
    for method, form in (("GET", None), ("POST", {"Key": "NEW", "Value": "v"})):
        assert error_of(raw(fake_builds, method, path, data=form)) == (
            404,
            20404,
            f"The requested resource {path[3:]} was not found",
        )
    assert state_of(fake_builds) == before


# set_variable() -----------------------------------------------------------------------


def test_set_variable_creates_then_updates_the_same_variable(
    fake_builds: FakeBuilds, variables: Any, environment: Any
) -> None:
    first = fake_builds.set_variable(environment, "GREETING", "hello")
    listed = variables.list()
    assert [(v.sid, v.key, v.value) for v in listed] == [(first.sid, "GREETING", "hello")]
    assert listed[0].date_created == fake_builds.now()

    fake_builds.advance(timedelta(hours=1))
    second = fake_builds.set_variable(environment.sid, "GREETING", "hi")
    assert second.sid == first.sid
    assert second is first
    fetched = variables(first.sid).fetch()
    assert (fetched.key, fetched.value) == ("GREETING", "hi")
    assert fetched.date_updated == fake_builds.now()
    assert fetched.date_created == fake_builds.now() - timedelta(hours=1)
    assert len(variables.list()) == 1


def test_set_variable_keeps_environments_apart(
    fake_builds: FakeBuilds, api: Any, environment: Any, stage: Any
) -> None:
    dev_one = fake_builds.set_variable(environment, "GREETING", "dev")
    stage_one = fake_builds.set_variable(stage, "GREETING", "stage")
    assert dev_one.sid != stage_one.sid
    assert [v.value for v in api.environments(environment.sid).variables.list()] == ["dev"]
    assert [v.value for v in api.environments(stage.sid).variables.list()] == ["stage"]


def test_set_variable_refuses_as_the_api_does(fake_builds: FakeBuilds, environment: Any) -> None:
    fake_builds.set_variable(environment, "GREETING", "hello")
    before = state_of(fake_builds)
    with pytest.raises(InvalidParameterError) as long_value:
        fake_builds.set_variable(environment, "GREETING", "é" * 226)
    assert isinstance(long_value.value, ValueError)
    assert long_value.value.message == VALUE_TOO_LONG
    with pytest.raises(InvalidParameterError) as long_key:
        fake_builds.set_variable(environment, "K" * 129, "v")
    assert long_key.value.message == KEY_TOO_LONG
    with pytest.raises(NotFoundError) as missing:
        fake_builds.set_variable(UNKNOWN_ENVIRONMENT, "GREETING", "v")
    assert isinstance(missing.value, LookupError)
    assert state_of(fake_builds) == before


# The Node toolkit's upsert ---------------------------------------------------------------


def toolkit_set_environment_variables(
    fake: FakeBuilds,
    service_sid: str,
    environment_sid: str,
    env: dict[str, str],
    *,
    remove_redundant_ones: bool = False,
) -> list[int]:
    """``setEnvironmentVariables`` of @twilio-labs/serverless-api: list every
    variable (following ``next_page_url``), then create each missing key,
    update each changed one (sending Key and Value), leave equal ones alone.
    Returns the statuses of the writes."""
    session = requests.Session()
    session.auth = auth_of(fake)
    url: str | None = f"{BASE}/v1/Services/{service_sid}/Environments/{environment_sid}/Variables"
    existing: list[dict[str, Any]] = []
    while url is not None:
        page = session.get(url)
        assert page.status_code == 200, page.text
        body = page.json()
        existing += body[body["meta"]["key"]]
        url = body["meta"]["next_page_url"]
    by_key = {variable["key"]: variable for variable in existing}
    list_url = f"{BASE}/v1/Services/{service_sid}/Environments/{environment_sid}/Variables"
    statuses = []
    for key, value in env.items():
        found = by_key.get(key)
        if found is None:
            answer = session.post(list_url, data={"Key": key, "Value": value})
        elif found["value"] == value:
            continue
        else:
            answer = session.post(f"{list_url}/{found['sid']}", data={"Key": key, "Value": value})
        statuses.append(answer.status_code)
    if remove_redundant_ones:
        for variable in existing:
            if variable["key"] not in env:
                statuses.append(session.delete(f"{list_url}/{variable['sid']}").status_code)
    return statuses


def test_toolkit_upsert_by_key(
    fake_builds: FakeBuilds, variables: Any, service: Any, environment: Any
) -> None:
    # More than one page of 50, so that the oldest keys are only on page two.
    for n in range(55):
        fake_builds.set_variable(environment, f"KEY_{n:02d}", str(n))
    before = {v.key: v for v in variables.list()}
    fake_builds.advance(timedelta(minutes=1))

    statuses = toolkit_set_environment_variables(
        fake_builds,
        service.sid,
        environment.sid,
        {"KEY_00": "changed", "KEY_01": "1", "KEY_54": "also changed", "NEW": "new"},
    )

    assert statuses == [200, 200, 201]
    after = {v.key: v for v in variables.list()}
    assert set(after) == set(before) | {"NEW"}
    for key in ("KEY_00", "KEY_54"):
        assert after[key].sid == before[key].sid
        assert after[key].date_updated == fake_builds.now()
    assert (after["KEY_00"].value, after["KEY_54"].value) == ("changed", "also changed")
    untouched = after["KEY_01"]
    assert (untouched.value, untouched.date_updated) == ("1", before["KEY_01"].date_updated)
    assert after["NEW"].value == "new"
    assert after["NEW"].date_created == fake_builds.now()


def test_toolkit_upsert_removing_redundant_ones(
    fake_builds: FakeBuilds, variables: Any, service: Any, environment: Any
) -> None:
    for key in ("A", "B", "C"):
        fake_builds.set_variable(environment, key, key.lower())
    statuses = toolkit_set_environment_variables(
        fake_builds,
        service.sid,
        environment.sid,
        {"A": "a", "B": "bee", "D": "d"},
        remove_redundant_ones=True,
    )
    assert statuses == [200, 201, 204]
    assert {v.key: v.value for v in variables.list()} == {"A": "a", "B": "bee", "D": "d"}
    # Run again with the same values: nothing to write.
    assert (
        toolkit_set_environment_variables(
            fake_builds, service.sid, environment.sid, {"A": "a", "B": "bee", "D": "d"}
        )
        == []
    )
