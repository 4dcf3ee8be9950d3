"""Environments (ZE) as a twilio-python user meets them: create, fetch, list, delete,
and the ``create_environment`` helper."""

from __future__ import annotations

import re
from typing import Any

import pytest
from helpers import (
    BASE,
    UNKNOWN_ENVIRONMENT,
    UNKNOWN_SERVICE,
    completed_build,
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
    "service_sid",
    "build_sid",
    "unique_name",
    "domain_suffix",
    "domain_name",
    "date_created",
    "date_updated",
    "url",
    "links",
}
EXISTS = "Environment with this UniqueName or DomainSuffix already exists."
LIMIT = "Environments are limited to less than or equal to 25 per Service"
BAD_SUFFIX = (
    "Invalid DomainSuffix: '{}' may hold only letters, digits and hyphens, "
    "and may not start or end with a hyphen"
)


def next_sid(fake: FakeBuilds, service_sid: str) -> str:
    """The SID the next Environment of ``fake`` gets."""
    return fake.create_environment(service_sid, "probe").sid


def deployable(fake: FakeBuilds, service_sid: str) -> Any:
    """A completed Build of the service."""
    return completed_build(fake, service_sid, fake.create_function_version(service_sid, "/hello"))


# Create --------------------------------------------------------------------------


def test_create_with_a_domain_suffix(fake_builds: FakeBuilds, api: Any, service: Any) -> None:
    environment = api.environments.create(unique_name="dev-environment", domain_suffix="dev")

    assert fake_builds.calls[-1].response.status == 201
    assert set(last_body(fake_builds)) == FIELDS
    assert re.fullmatch(r"ZE[0-9a-f]{32}", environment.sid)
    assert environment.account_sid == fake_builds.account_sid
    assert environment.service_sid == service.sid
    assert environment.build_sid is None
    assert environment.unique_name == "dev-environment"
    assert environment.domain_suffix == "dev"
    assert environment.domain_name == f"{service.domain_base}-dev.twil.io"
    assert re.fullmatch(r"my-app-\d{4}-dev\.twil\.io", environment.domain_name)
    assert environment.date_created == fake_builds.now()
    assert environment.date_updated == environment.date_created
    url = f"{BASE}/v1/Services/{service.sid}/Environments/{environment.sid}"
    assert environment.url == url
    assert environment.links == {
        "variables": f"{url}/Variables",
        "deployments": f"{url}/Deployments",
        "logs": f"{url}/Logs",
    }


def test_create_without_a_domain_suffix(fake_builds: FakeBuilds, api: Any, service: Any) -> None:
    environment = api.environments.create(unique_name="production")
    assert environment.domain_suffix is None
    assert environment.domain_name == f"{service.domain_base}.twil.io"
    assert environment.build_sid is None
    body = last_body(fake_builds)
    assert (body["domain_suffix"], body["build_sid"]) == (None, None)


def test_empty_domain_suffix_is_no_suffix(fake_builds: FakeBuilds, service: Any) -> None:
    answer = post(
        fake_builds,
        f"/v1/Services/{service.sid}/Environments",
        UniqueName="production",
        DomainSuffix="",
    )
    assert answer.status_code == 201
    assert answer.json()["domain_suffix"] is None
    assert answer.json()["domain_name"] == f"{service.domain_base}.twil.io"


def test_domain_name_follows_its_own_service(fake_builds: FakeBuilds, client: Any) -> None:
    first = fake_builds.create_service("first-app")
    second = fake_builds.create_service("second-app")
    made = client.serverless.v1.services(second.sid).environments.create(
        unique_name="stage", domain_suffix="stage"
    )
    assert made.domain_name == f"{second.domain_base}-stage.twil.io"
    assert made.domain_name != f"{first.domain_base}-stage.twil.io"

    twin = FakeBuilds(seed=fake_builds.seed)
    twin.create_service("first-app")
    twin_second = twin.create_service("second-app")
    twin_made = twin.create_environment(twin_second.sid, "stage", domain_suffix="stage")
    assert (twin_made.sid, twin_made.domain_name) == (made.sid, made.domain_name)


@pytest.mark.parametrize(
    "form",
    [{}, {"UniqueName": ""}, {"DomainSuffix": "dev"}],
    ids=["nothing", "empty", "suffix-only"],
)
def test_unique_name_is_required(
    fake_builds: FakeBuilds, service: Any, environment: Any, form: dict[str, str]
) -> None:
    before = state_of(fake_builds)
    answer = post(fake_builds, f"/v1/Services/{service.sid}/Environments", **form)
    assert error_of(answer) == (
        400,
        20001,
        "Missing required parameter UniqueName in the post body",
    )
    assert state_of(fake_builds) == before


def test_unique_name_is_required_through_the_client(
    fake_builds: FakeBuilds, api: Any, environment: Any
) -> None:
    before = state_of(fake_builds)
    with pytest.raises(TwilioRestException) as raised:
        api.environments.create(unique_name="")
    assert (raised.value.status, raised.value.code) == (400, 20001)
    assert raised.value.msg == (
        "Unable to create record: Missing required parameter UniqueName in the post body"
    )
    assert state_of(fake_builds) == before


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"UniqueName": "u" * 101}, "Invalid UniqueName: must be at most 100 characters"),
        (
            {"UniqueName": "long", "DomainSuffix": "s" * 17},
            "Invalid DomainSuffix: must be at most 16 characters",
        ),
    ],
    ids=["unique-101", "suffix-17"],
)
def test_too_long_is_refused(
    fake_builds: FakeBuilds, service: Any, environment: Any, form: dict[str, str], message: str
) -> None:
    before = state_of(fake_builds)
    answer = post(fake_builds, f"/v1/Services/{service.sid}/Environments", **form)
    assert error_of(answer) == (400, 20001, message)
    assert state_of(fake_builds) == before


def test_longest_values_are_accepted(api: Any, service: Any) -> None:
    made = api.environments.create(unique_name="u" * 100, domain_suffix="s" * 16)
    fetched = api.environments(made.sid).fetch()
    assert (fetched.unique_name, fetched.domain_suffix) == ("u" * 100, "s" * 16)
    assert fetched.domain_name == f"{service.domain_base}-{'s' * 16}.twil.io"


def test_unique_name_may_hold_any_characters(api: Any) -> None:
    # Only the domain suffix becomes part of a host name.
    made = api.environments.create(unique_name="My Env_1 (é)")
    assert api.environments(made.sid).fetch().unique_name == "My Env_1 (é)"


@pytest.mark.parametrize("suffix", ["dev_1", "-dev", "dev-", "-", "de v", "dev.1", "dév"])
def test_domain_suffix_characters(
    fake_builds: FakeBuilds, service: Any, environment: Any, suffix: str
) -> None:
    before = state_of(fake_builds)
    answer = post(
        fake_builds,
        f"/v1/Services/{service.sid}/Environments",
        UniqueName="other",
        DomainSuffix=suffix,
    )
    assert error_of(answer) == (400, 20001, BAD_SUFFIX.format(suffix))
    assert state_of(fake_builds) == before


@pytest.mark.parametrize("suffix", ["d", "QA", "stage-2", "v1--b", "123"])
def test_domain_suffixes_of_letters_digits_and_inner_hyphens(
    api: Any, service: Any, suffix: str
) -> None:
    made = api.environments.create(unique_name="env", domain_suffix=suffix)
    assert made.domain_name == f"{service.domain_base}-{suffix}.twil.io"


@pytest.mark.parametrize(
    ("unique_name", "domain_suffix"),
    [("dev-environment", "other"), ("other", "dev"), ("dev-environment", None)],
    ids=["same-name", "same-suffix", "same-name-no-suffix"],
)
def test_duplicates_in_one_service_are_409(
    fake_builds: FakeBuilds,
    api: Any,
    service: Any,
    environment: Any,
    unique_name: str,
    domain_suffix: str | None,
) -> None:
    before = state_of(fake_builds)
    extra = {} if domain_suffix is None else {"domain_suffix": domain_suffix}
    with pytest.raises(TwilioRestException) as raised:
        api.environments.create(unique_name=unique_name, **extra)
    assert (raised.value.status, raised.value.code) == (409, 20409)
    assert raised.value.msg == f"Unable to create record: {EXISTS}"
    assert state_of(fake_builds) == before

    twin = FakeBuilds(seed=fake_builds.seed)
    twin_service = twin.create_service(unique_name="my-app")
    twin.create_environment(twin_service.sid, domain_suffix="dev")
    assert next_sid(fake_builds, service.sid) == next_sid(twin, twin_service.sid)


def test_environments_without_suffix_do_not_clash(api: Any) -> None:
    first = api.environments.create(unique_name="one")
    second = api.environments.create(unique_name="two")
    assert (first.domain_suffix, second.domain_suffix) == (None, None)
    assert first.domain_name == second.domain_name
    assert [e.sid for e in api.environments.list()] == [second.sid, first.sid]


def test_another_service_may_reuse_name_and_suffix(
    fake_builds: FakeBuilds, client: Any, environment: Any
) -> None:
    other = fake_builds.create_service("other-app")
    made = client.serverless.v1.services(other.sid).environments.create(
        unique_name=environment.unique_name, domain_suffix=environment.domain_suffix
    )
    assert made.service_sid == other.sid
    assert (made.unique_name, made.domain_suffix) == ("dev-environment", "dev")
    assert made.domain_name == f"{other.domain_base}-dev.twil.io"
    assert made.sid != environment.sid


def test_the_26th_environment_is_refused(fake_builds: FakeBuilds, api: Any, service: Any) -> None:
    made = [fake_builds.create_environment(service.sid, f"env-{n}", f"s{n}").sid for n in range(25)]
    before = state_of(fake_builds)
    with pytest.raises(TwilioRestException) as raised:
        api.environments.create(unique_name="one-more")
    assert (raised.value.status, raised.value.code) == (400, 20001)
    assert raised.value.msg == f"Unable to create record: {LIMIT}"
    with pytest.raises(InvalidParameterError, match=f"^{LIMIT}$"):
        fake_builds.create_environment(service.sid, "one-more")
    assert state_of(fake_builds) == before

    # The limit is per service.
    other = fake_builds.create_service("other-app")
    assert fake_builds.create_environment(other.sid).service_sid == other.sid

    # Deleting one makes room again.
    assert api.environments(made[0]).delete() is True
    again = api.environments.create(unique_name="one-more")
    listed = [e.sid for e in api.environments.list()]
    assert listed == [again.sid, *made[:0:-1]]


def test_create_in_an_unknown_service_is_404(
    fake_builds: FakeBuilds, client: Any, service: Any
) -> None:
    before = state_of(fake_builds)
    with pytest.raises(TwilioRestException) as raised:
        client.serverless.v1.services(UNKNOWN_SERVICE).environments.create(unique_name="x")
    assert (raised.value.status, raised.value.code) == (404, 20404)
    path = f"/Services/{UNKNOWN_SERVICE}/Environments"
    assert raised.value.msg == f"Unable to create record: {not_found(path)}"
    assert state_of(fake_builds) == before


# Fetch and list ------------------------------------------------------------------


def test_fetch_shows_what_create_answered(fake_builds: FakeBuilds, api: Any, service: Any) -> None:
    api.environments.create(unique_name="dev-environment", domain_suffix="dev")
    created = last_body(fake_builds)
    fetched = api.environments(created["sid"]).fetch()
    assert fake_builds.calls[-1].response.status == 200
    assert last_body(fake_builds) == created
    assert fetched.domain_name == created["domain_name"]


@pytest.mark.parametrize("key", [UNKNOWN_ENVIRONMENT, "dev-environment", "ZE123"])
def test_fetch_of_an_unknown_environment_is_404(
    fake_builds: FakeBuilds, api: Any, service: Any, key: str
) -> None:
    # "dev-environment" exists by that unique name: environments are fetched by SID only.
    api.environments.create(unique_name="dev-environment", domain_suffix="dev")
    before = state_of(fake_builds)
    with pytest.raises(TwilioRestException) as raised:
        api.environments(key).fetch()
    assert (raised.value.status, raised.value.code) == (404, 20404)
    path = f"/Services/{service.sid}/Environments/{key}"
    assert raised.value.msg == f"Unable to fetch record: {not_found(path)}"
    assert state_of(fake_builds) == before


def test_an_environment_of_another_service_is_404(
    fake_builds: FakeBuilds, client: Any, environment: Any
) -> None:
    other = fake_builds.create_service("other-app")
    before = state_of(fake_builds)
    path = f"/v1/Services/{other.sid}/Environments/{environment.sid}"
    for method in ("GET", "DELETE"):
        answer = raw(fake_builds, method, path)
        assert error_of(answer) == (404, 20404, not_found(path))
    assert state_of(fake_builds) == before
    fetched = client.serverless.v1.services(environment.service_sid).environments(environment.sid)
    assert fetched.fetch().sid == environment.sid


def test_list_is_newest_first_across_pages(fake_builds: FakeBuilds, api: Any, service: Any) -> None:
    made = [fake_builds.create_environment(service.sid, f"env-{n}").sid for n in range(5)]
    other = fake_builds.create_service("other-app")
    fake_builds.create_environment(other.sid)

    before = len(fake_builds.calls)
    assert [e.sid for e in api.environments.list(page_size=2)] == made[::-1]
    assert len(fake_builds.calls) - before == 3

    before = len(fake_builds.calls)
    assert [e.sid for e in api.environments.stream(limit=3, page_size=2)] == made[::-1][:3]
    assert len(fake_builds.calls) - before == 2

    assert [e.sid for e in api.environments.list()] == made[::-1]


def test_next_page_urls_lead_through_every_environment(
    fake_builds: FakeBuilds, service: Any
) -> None:
    made = [fake_builds.create_environment(service.sid, f"env-{n}").sid for n in range(3)]
    list_url = f"{BASE}/v1/Services/{service.sid}/Environments"
    seen: list[str] = []
    url: str | None = f"{list_url}?PageSize=1"
    while url:
        body = raw(fake_builds, "GET", url.removeprefix(BASE)).json()
        assert body["meta"]["key"] == "environments"
        assert body["meta"]["first_page_url"] == f"{list_url}?PageSize=1&Page=0"
        seen.extend(e["sid"] for e in body["environments"])
        url = body["meta"]["next_page_url"]
    assert seen == made[::-1]


def test_list_of_a_service_without_environments(fake_builds: FakeBuilds, service: Any) -> None:
    list_url = f"{BASE}/v1/Services/{service.sid}/Environments"
    assert raw(fake_builds, "GET", list_url.removeprefix(BASE)).json() == {
        "environments": [],
        "meta": {
            "first_page_url": f"{list_url}?PageSize=50&Page=0",
            "key": "environments",
            "next_page_url": None,
            "page": 0,
            "page_size": 50,
            "previous_page_url": None,
            "url": f"{list_url}?PageSize=50&Page=0",
        },
    }


def test_list_of_an_unknown_service_fails(
    fake_builds: FakeBuilds, client: Any, environment: Any
) -> None:
    before = state_of(fake_builds)
    with pytest.raises(TwilioException, match="Unable to fetch page"):
        client.serverless.v1.services(UNKNOWN_SERVICE).environments.list()
    answer = raw(fake_builds, "GET", f"/v1/Services/{UNKNOWN_SERVICE}/Environments")
    assert error_of(answer) == (
        404,
        20404,
        not_found(f"/Services/{UNKNOWN_SERVICE}/Environments"),
    )
    assert state_of(fake_builds) == before


# No update ------------------------------------------------------------------------


def test_there_is_no_update(fake_builds: FakeBuilds, service: Any, environment: Any) -> None:
    before = state_of(fake_builds)
    answer = raw(
        fake_builds,
        "POST",
        f"/v1/Services/{service.sid}/Environments/{environment.sid}",
        data={"UniqueName": "renamed"},
    )
    assert error_of(answer) == (405, 20004, "Method not allowed")
    assert state_of(fake_builds) == before


# Deploys and the environment --------------------------------------------------------


def test_a_deploy_sets_build_sid_and_date_updated(
    fake_builds: FakeBuilds, api: Any, service: Any, environment: Any
) -> None:
    build = deployable(fake_builds, service.sid)
    fake_builds.advance(60)
    api.environments(environment.sid).deployments.create(build_sid=build.sid)
    fetched = api.environments(environment.sid).fetch()
    assert fetched.build_sid == build.sid
    assert fetched.date_updated == fake_builds.now()
    assert fetched.date_created < fetched.date_updated
    assert environment.build_sid == build.sid  # the helper's record is the one served

    fake_builds.advance(60)
    api.environments(environment.sid).deployments.create()
    fetched = api.environments(environment.sid).fetch()
    assert fetched.build_sid is None
    assert fetched.date_updated == fake_builds.now()


# Delete --------------------------------------------------------------------------


def test_delete_answers_204_then_fetch_is_404(
    fake_builds: FakeBuilds, api: Any, service: Any, environment: Any
) -> None:
    kept = fake_builds.create_environment(service.sid)
    assert api.environments(environment.sid).delete() is True
    assert fake_builds.calls[-1].response.status == 204
    assert fake_builds.calls[-1].response.body == b""
    with pytest.raises(TwilioRestException) as raised:
        api.environments(environment.sid).fetch()
    path = f"/Services/{service.sid}/Environments/{environment.sid}"
    assert raised.value.msg == f"Unable to fetch record: {not_found(path)}"
    assert [e.sid for e in api.environments.list()] == [kept.sid]


@pytest.mark.parametrize("key", [UNKNOWN_ENVIRONMENT, "dev-environment"])
def test_delete_of_a_missing_environment_is_404(
    fake_builds: FakeBuilds, api: Any, service: Any, environment: Any, key: str
) -> None:
    before = state_of(fake_builds)
    with pytest.raises(TwilioRestException) as raised:
        api.environments(key).delete()
    assert (raised.value.status, raised.value.code) == (404, 20404)
    path = f"/Services/{service.sid}/Environments/{key}"
    assert raised.value.msg == f"Unable to delete record: {not_found(path)}"
    assert state_of(fake_builds) == before


def test_delete_twice_is_404_the_second_time(
    fake_builds: FakeBuilds, api: Any, service: Any, environment: Any
) -> None:
    kept = fake_builds.create_environment(service.sid)
    assert api.environments(environment.sid).delete() is True
    before = state_of(fake_builds)
    with pytest.raises(TwilioRestException) as raised:
        api.environments(environment.sid).delete()
    assert (raised.value.status, raised.value.code) == (404, 20404)
    assert state_of(fake_builds) == before
    assert [e["sid"] for e in before[service.sid]["environments"]] == [kept.sid]


def test_delete_in_an_unknown_service_is_404(
    fake_builds: FakeBuilds, client: Any, environment: Any
) -> None:
    before = state_of(fake_builds)
    with pytest.raises(TwilioRestException) as raised:
        client.serverless.v1.services(UNKNOWN_SERVICE).environments(environment.sid).delete()
    assert raised.value.status == 404
    assert state_of(fake_builds) == before


def test_delete_frees_the_live_build_and_removes_what_it_held(
    fake_builds: FakeBuilds, api: Any, service: Any, environment: Any
) -> None:
    build = deployable(fake_builds, service.sid)
    deployment = fake_builds.deploy(environment, build)
    variable = fake_builds.set_variable(environment, "GREETING", "hello")
    log = fake_builds.add_log(environment, "said hello")
    kept = fake_builds.create_environment(service.sid, domain_suffix="stage")
    fake_builds.set_variable(kept, "GREETING", "hi")
    fake_builds.add_log(kept, "kept")
    with pytest.raises(TwilioRestException) as raised:
        api.builds(build.sid).delete()
    assert raised.value.status == 409  # live on "dev"
    before = state_of(fake_builds)
    held = stored_sids(fake_builds)

    assert api.environments(environment.sid).delete() is True
    assert stored_sids(fake_builds) == held - {
        environment.sid,
        deployment.sid,
        variable.sid,
        log.sid,
    }

    env = f"/v1/Services/{service.sid}/Environments/{environment.sid}"
    for path in (
        f"{env}/Deployments/{deployment.sid}",
        f"{env}/Variables/{variable.sid}",
        f"{env}/Logs/{log.sid}",
        f"{env}/Deployments",
    ):
        assert error_of(raw(fake_builds, "GET", path)) == (
            404,
            20404,
            not_found(path),
        )
    for helper in (
        lambda: fake_builds.deploy(environment.sid),
        lambda: fake_builds.set_variable(environment.sid, "GREETING", "again"),
        lambda: fake_builds.add_log(environment.sid, "anyone there?"),
    ):
        with pytest.raises(NotFoundError):
            helper()
    # Nothing else moved: the other environment keeps its records.
    before[service.sid]["environments"] = [
        e for e in before[service.sid]["environments"] if e["sid"] != environment.sid
    ]
    assert state_of(fake_builds) == before
    # The build is no longer live, so it can go.
    assert api.builds(build.sid).delete() is True


# The create_environment helper --------------------------------------------------------


def test_helper_default_names(fake_builds: FakeBuilds, api: Any, service: Any) -> None:
    production = fake_builds.create_environment(service.sid)
    staged = fake_builds.create_environment(service.sid, domain_suffix="stage")
    named = fake_builds.create_environment(service.sid, "qa-env", domain_suffix="qa")
    assert (production.unique_name, production.domain_suffix) == ("production", None)
    assert (staged.unique_name, staged.domain_suffix) == ("stage-environment", "stage")
    assert (named.unique_name, named.domain_suffix) == ("qa-env", "qa")
    assert production.domain_name == f"{service.domain_base}.twil.io"
    fetched = {e.sid: e for e in api.environments.list()}
    assert set(fetched) == {production.sid, staged.sid, named.sid}
    for made in (production, staged, named):
        served = fetched[made.sid]
        assert (served.unique_name, served.domain_suffix, served.domain_name) == (
            made.unique_name,
            made.domain_suffix,
            made.domain_name,
        )
        assert served.build_sid is None
        assert served.date_created == fake_builds.now()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"unique_name": "dev-environment"}, ConflictError, EXISTS),
        ({"domain_suffix": "dev"}, ConflictError, EXISTS),
        ({"unique_name": "x", "domain_suffix": "dev"}, ConflictError, EXISTS),
        ({"domain_suffix": "de_v"}, InvalidParameterError, BAD_SUFFIX.format("de_v")),
        (
            {"unique_name": "u" * 101},
            InvalidParameterError,
            "Invalid UniqueName: must be at most 100 characters",
        ),
        (
            {"domain_suffix": "s" * 17},
            InvalidParameterError,
            "Invalid DomainSuffix: must be at most 16 characters",
        ),
        (
            {"unique_name": ""},
            InvalidParameterError,
            "Missing required parameter UniqueName in the post body",
        ),
    ],
    ids=[
        "same-name",
        "same-default-name",
        "same-suffix",
        "suffix-characters",
        "unique-101",
        "suffix-17",
        "empty-name",
    ],
)
def test_helper_refusals_raise_and_mint_nothing(
    fake_builds: FakeBuilds,
    service: Any,
    environment: Any,
    kwargs: dict[str, Any],
    error: type,
    message: str,
) -> None:
    before = state_of(fake_builds)
    with pytest.raises(error) as raised:
        fake_builds.create_environment(service.sid, **kwargs)
    assert isinstance(raised.value, ValueError)
    assert raised.value.message == message
    expected = (409, 20409) if error is ConflictError else (400, 20001)
    assert (raised.value.status, raised.value.code) == expected
    assert state_of(fake_builds) == before

    twin = FakeBuilds(seed=fake_builds.seed)
    twin_service = twin.create_service(unique_name="my-app")
    twin.create_environment(twin_service.sid, domain_suffix="dev")
    assert next_sid(fake_builds, service.sid) == next_sid(twin, twin_service.sid)


@pytest.mark.parametrize("key", [UNKNOWN_SERVICE, "my-app", "ZS123"])
def test_helper_in_an_unknown_service_is_not_found(
    fake_builds: FakeBuilds, service: Any, key: str
) -> None:
    before = state_of(fake_builds)
    with pytest.raises(NotFoundError) as raised:
        fake_builds.create_environment(key, "production")
    assert isinstance(raised.value, LookupError)
    assert (raised.value.status, raised.value.code) == (404, 20404)
    assert state_of(fake_builds) == before


def test_helper_in_a_deleted_service_is_not_found(
    fake_builds: FakeBuilds, client: Any, service: Any
) -> None:
    client.serverless.v1.services(service.sid).delete()
    with pytest.raises(LookupError):
        fake_builds.create_environment(service.sid)
    assert state_of(fake_builds) == {}
