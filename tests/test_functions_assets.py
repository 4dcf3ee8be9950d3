"""Functions and Assets (``ZH``) as a twilio-python user sees them:
create, fetch, list, update and delete, and the helpers that make them."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from helpers import (
    BASE,
    UNKNOWN_SERVICE,
    UNKNOWN_ZH,
    error_of,
    not_found,
    raw,
    unchanged,
)
from twilio.base.exceptions import TwilioException, TwilioRestException

from pytest_fakebuilds import FakeBuilds, InvalidParameterError, NotFoundError


@dataclass(frozen=True)
class Family:
    """Functions or Assets: the names that tell the two apart."""

    word: str  # Function
    segment: str  # Functions
    attr: str  # functions, on a service's twilio context
    versions: str  # function_versions: the link name and the list key of its Versions

    def of(self, api: Any) -> Any:
        """The list resource of this family under a twilio service context."""
        return getattr(api, self.attr)

    def create(self, fake: FakeBuilds, service_sid: str, friendly_name: str) -> Any:
        make: Callable[[str, str], Any] = getattr(fake, f"create_{self.word.lower()}")
        return make(service_sid, friendly_name)

    def create_version(self, fake: FakeBuilds, service_sid: str, parent_sid: str, path: str) -> Any:
        if self.word == "Function":
            return fake.create_function_version(service_sid, path, function_sid=parent_sid)
        return fake.create_asset_version(
            service_sid, path, content=b"body {}", asset_sid=parent_sid
        )

    def create_build(self, fake: FakeBuilds, service_sid: str, *versions: Any) -> Any:
        if self.word == "Function":
            return fake.create_build(service_sid, function_versions=versions)
        return fake.create_build(service_sid, asset_versions=versions)

    def path(self, service_sid: str, sid: str | None = None) -> str:
        base = f"/v1/Services/{service_sid}/{self.segment}"
        return base if sid is None else f"{base}/{sid}"


FUNCTION = Family("Function", "Functions", "functions", "function_versions")
ASSET = Family("Asset", "Assets", "assets", "asset_versions")
OTHER = {FUNCTION: ASSET, ASSET: FUNCTION}


@pytest.fixture(params=[FUNCTION, ASSET], ids=["function", "asset"])
def family(request: pytest.FixtureRequest) -> Family:
    found: Family = request.param
    return found


def deploy_live(fake: FakeBuilds, environment: Any, build: Any) -> None:
    fake.advance(fake.build_duration)
    fake.deploy(environment.sid, build.sid)


# Create ---------------------------------------------------------------------------


def test_create_answers_201_with_every_field(
    fake_builds: FakeBuilds, api: Any, service: Any, family: Family
) -> None:
    resource = family.of(api).create(friendly_name="/hello")

    assert fake_builds.calls[-1].response.status == 201
    assert re.fullmatch(r"ZH[0-9a-f]{32}", resource.sid)
    assert resource.account_sid == fake_builds.account_sid
    assert resource.service_sid == service.sid
    assert resource.friendly_name == "/hello"
    assert resource.date_created == fake_builds.now()
    assert resource.date_updated == resource.date_created
    url = BASE + family.path(service.sid, resource.sid)
    assert resource.url == url
    assert resource.links == {family.versions: url + "/Versions"}


def test_friendly_names_need_not_be_unique(api: Any, family: Family) -> None:
    first = family.of(api).create(friendly_name="same")
    second = family.of(api).create(friendly_name="same")
    assert first.sid != second.sid
    assert [r.sid for r in family.of(api).list()] == [second.sid, first.sid]


@pytest.mark.parametrize("body", [{}, {"FriendlyName": ""}], ids=["absent", "empty"])
def test_create_needs_a_friendly_name(
    fake_builds: FakeBuilds, service: Any, family: Family, body: dict[str, str]
) -> None:
    with unchanged(fake_builds):
        answer = raw(fake_builds, "POST", family.path(service.sid), data=body)
    assert error_of(answer) == (
        400,
        20001,
        "Missing required parameter FriendlyName in the post body",
    )


def test_friendly_name_is_at_most_255_characters(
    fake_builds: FakeBuilds, api: Any, family: Family
) -> None:
    assert family.of(api).create(friendly_name="n" * 255).friendly_name == "n" * 255
    with unchanged(fake_builds), pytest.raises(TwilioRestException) as raised:
        family.of(api).create(friendly_name="n" * 256)
    assert (raised.value.status, raised.value.code) == (400, 20001)
    assert raised.value.msg == (
        "Unable to create record: Invalid FriendlyName: must be at most 255 characters"
    )


def test_create_in_an_unknown_service_is_404(
    fake_builds: FakeBuilds, client: Any, service: Any, family: Family
) -> None:
    with unchanged(fake_builds), pytest.raises(TwilioRestException) as raised:
        family.of(client.serverless.v1.services(UNKNOWN_SERVICE)).create(friendly_name="x")
    assert (raised.value.status, raised.value.code) == (404, 20404)
    assert raised.value.msg == "Unable to create record: " + not_found(family.path(UNKNOWN_SERVICE))


def test_sub_resource_paths_need_the_service_sid_not_its_unique_name(
    fake_builds: FakeBuilds, client: Any, service: Any, family: Family
) -> None:
    family.create(fake_builds, service.sid, "/hello")
    by_name = family.of(client.serverless.v1.services(service.unique_name))
    with unchanged(fake_builds):
        with pytest.raises(TwilioRestException) as raised:
            by_name.create(friendly_name="x")
        answer = raw(fake_builds, "GET", family.path(service.unique_name))
    assert raised.value.status == 404
    assert error_of(answer) == (404, 20404, not_found(family.path(service.unique_name)))


# Fetch ----------------------------------------------------------------------------


def test_fetch_shows_what_create_answered(api: Any, family: Family) -> None:
    created = family.of(api).create(friendly_name="/index.html")
    fetched = family.of(api)(created.sid).fetch()
    for name in (
        "sid",
        "account_sid",
        "service_sid",
        "friendly_name",
        "date_created",
        "date_updated",
        "url",
        "links",
    ):
        assert getattr(fetched, name) == getattr(created, name), name


def test_unknown_sid_is_404_on_every_operation(
    fake_builds: FakeBuilds, api: Any, service: Any, family: Family
) -> None:
    family.create(fake_builds, service.sid, "/kept")
    one = family.of(api)(UNKNOWN_ZH)
    message = not_found(family.path(service.sid, UNKNOWN_ZH))
    with unchanged(fake_builds):
        for verb, call in (
            ("fetch", lambda: one.fetch()),
            ("update", lambda: one.update(friendly_name="x")),
            ("delete", lambda: one.delete()),
        ):
            with pytest.raises(TwilioRestException) as raised:
                call()
            assert (raised.value.status, raised.value.code) == (404, 20404), verb
            assert raised.value.msg == f"Unable to {verb} record: {message}"


def test_a_function_is_not_an_asset_nor_the_reverse(
    fake_builds: FakeBuilds, api: Any, service: Any, family: Family
) -> None:
    """Both share the ZH prefix; the path says which one a SID must be."""
    resource = family.create(fake_builds, service.sid, "/shared-prefix")
    other = OTHER[family]
    path = other.path(service.sid, resource.sid)
    with unchanged(fake_builds):
        for method, data in (("GET", None), ("POST", {"FriendlyName": "x"}), ("DELETE", None)):
            answer = raw(fake_builds, method, path, data=data)
            assert error_of(answer) == (404, 20404, not_found(path)), method
        versions = raw(fake_builds, "GET", path + "/Versions")
        assert error_of(versions) == (404, 20404, not_found(path + "/Versions"))
    assert [r.sid for r in other.of(api).list()] == []
    assert family.of(api)(resource.sid).fetch().sid == resource.sid


def test_another_services_resource_is_404_through_this_service(
    fake_builds: FakeBuilds, api: Any, service: Any, family: Family
) -> None:
    elsewhere = fake_builds.create_service(unique_name="other-app")
    theirs = family.create(fake_builds, elsewhere.sid, "/theirs")
    path = family.path(service.sid, theirs.sid)
    with unchanged(fake_builds):
        for method, data in (("GET", None), ("POST", {"FriendlyName": "x"}), ("DELETE", None)):
            answer = raw(fake_builds, method, path, data=data)
            assert error_of(answer) == (404, 20404, not_found(path)), method
    assert [r.sid for r in family.of(api).list()] == []


# List -----------------------------------------------------------------------------


def test_list_is_newest_first_and_pages(
    fake_builds: FakeBuilds, api: Any, service: Any, family: Family
) -> None:
    made = [family.create(fake_builds, service.sid, f"/r{i}").sid for i in range(5)]
    OTHER[family].create(fake_builds, service.sid, "/not-listed")
    elsewhere = fake_builds.create_service(unique_name="other-app")
    family.create(fake_builds, elsewhere.sid, "/not-listed-either")

    assert [r.sid for r in family.of(api).list()] == made[::-1]
    before = len(fake_builds.calls)
    assert [r.sid for r in family.of(api).list(page_size=2)] == made[::-1]
    assert len(fake_builds.calls) - before == 3
    assert [r.sid for r in family.of(api).list(limit=3, page_size=2)] == made[::-1][:3]


def test_list_envelope(fake_builds: FakeBuilds, service: Any, family: Family) -> None:
    made = family.create(fake_builds, service.sid, "/only")
    answer = raw(fake_builds, "GET", family.path(service.sid), params={"PageSize": "1"})
    assert answer.status_code == 200
    body = answer.json()
    assert [r["sid"] for r in body[family.attr]] == [made.sid]
    url = BASE + family.path(service.sid)
    assert body["meta"] == {
        "first_page_url": f"{url}?PageSize=1&Page=0",
        "key": family.attr,
        "next_page_url": None,
        "page": 0,
        "page_size": 1,
        "previous_page_url": None,
        "url": f"{url}?PageSize=1&Page=0",
    }


def test_list_of_an_unknown_service_is_404(
    fake_builds: FakeBuilds, client: Any, family: Family
) -> None:
    with pytest.raises(TwilioException, match="Unable to fetch page"):
        family.of(client.serverless.v1.services(UNKNOWN_SERVICE)).list()
    answer = raw(fake_builds, "GET", family.path(UNKNOWN_SERVICE))
    assert error_of(answer) == (404, 20404, not_found(family.path(UNKNOWN_SERVICE)))


# Update ---------------------------------------------------------------------------


def test_update_renames_and_moves_date_updated(
    fake_builds: FakeBuilds, api: Any, service: Any, family: Family
) -> None:
    created = family.of(api).create(friendly_name="before")
    fake_builds.advance(timedelta(minutes=3, seconds=7))

    updated = family.of(api)(created.sid).update(friendly_name="after")

    assert fake_builds.calls[-1].response.status == 200
    assert updated.sid == created.sid
    assert updated.friendly_name == "after"
    assert updated.date_created == created.date_created
    assert updated.date_updated == fake_builds.now()
    assert updated.date_updated == created.date_updated + timedelta(minutes=3, seconds=7)
    fetched = family.of(api)(created.sid).fetch()
    assert (fetched.friendly_name, fetched.date_updated) == ("after", updated.date_updated)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Missing required parameter FriendlyName in the post body"),
        ({"FriendlyName": ""}, "Missing required parameter FriendlyName in the post body"),
        ({"FriendlyName": "n" * 256}, "Invalid FriendlyName: must be at most 255 characters"),
    ],
    ids=["absent", "empty", "too-long"],
)
def test_update_needs_a_valid_friendly_name(
    fake_builds: FakeBuilds,
    service: Any,
    family: Family,
    body: dict[str, str],
    message: str,
) -> None:
    resource = family.create(fake_builds, service.sid, "kept")
    fake_builds.advance(60)
    with unchanged(fake_builds):
        answer = raw(fake_builds, "POST", family.path(service.sid, resource.sid), data=body)
    assert error_of(answer) == (400, 20001, message)


def test_update_accepts_255_characters(
    fake_builds: FakeBuilds, api: Any, service: Any, family: Family
) -> None:
    resource = family.create(fake_builds, service.sid, "short")
    assert family.of(api)(resource.sid).update(friendly_name="n" * 255).friendly_name == "n" * 255


# Delete ---------------------------------------------------------------------------


def test_delete_answers_204_and_takes_the_versions(
    fake_builds: FakeBuilds, api: Any, builds: Any, service: Any, family: Family
) -> None:
    resource = family.create(fake_builds, service.sid, "/gone")
    versions = [family.create_version(fake_builds, service.sid, resource.sid, "/gone")]
    versions.append(family.create_version(fake_builds, service.sid, resource.sid, "/gone"))
    kept = family.create(fake_builds, service.sid, "/kept")
    kept_version = family.create_version(fake_builds, service.sid, kept.sid, "/kept")

    assert family.of(api)(resource.sid).delete() is True
    assert fake_builds.calls[-1].response.status == 204

    with pytest.raises(TwilioRestException) as raised:
        family.of(api)(resource.sid).fetch()
    assert raised.value.status == 404
    assert [r.sid for r in family.of(api).list()] == [kept.sid]
    for version in versions:
        path = family.path(service.sid, resource.sid) + f"/Versions/{version.sid}"
        assert error_of(raw(fake_builds, "GET", path)) == (404, 20404, not_found(path))
        # The version itself is gone, not just unreachable through its parent.
        with pytest.raises(TwilioRestException) as refused:
            builds.create(**{family.versions: [version.sid]})
        assert (refused.value.status, refused.value.code) == (400, 20001)
        assert refused.value.msg == (
            f"Unable to create record: Invalid {family.word}Versions: "
            f"{family.word} Version {version.sid} was not found in Service {service.sid}"
        )
    listed = getattr(family.of(api)(kept.sid), family.versions).list()
    assert [v.sid for v in listed] == [kept_version.sid]


def test_delete_is_refused_while_a_version_is_live(
    fake_builds: FakeBuilds, api: Any, builds: Any, service: Any, family: Family
) -> None:
    environment = fake_builds.create_environment(service.sid, domain_suffix="dev")
    resource = family.create(fake_builds, service.sid, "/live")
    version = family.create_version(fake_builds, service.sid, resource.sid, "/live")
    kwargs = {family.versions: [version.sid]}
    build = builds.create(**kwargs)  # over the client, as a user would
    deploy_live(fake_builds, environment, build)

    with unchanged(fake_builds), pytest.raises(TwilioRestException) as raised:
        family.of(api)(resource.sid).delete()
    assert (raised.value.status, raised.value.code) == (409, 20409)
    assert raised.value.msg == (
        f"Unable to delete record: Cannot delete {family.word} because one of its "
        "Versions is part of an active Deployment."
    )
    answer = raw(fake_builds, "DELETE", family.path(service.sid, resource.sid))
    assert error_of(answer) == (
        409,
        20409,
        f"Cannot delete {family.word} because one of its Versions is part of an active Deployment.",
    )


def test_an_older_version_in_the_live_build_is_enough_to_refuse(
    fake_builds: FakeBuilds, api: Any, service: Any, environment: Any, family: Family
) -> None:
    resource = family.create(fake_builds, service.sid, "/live")
    old = family.create_version(fake_builds, service.sid, resource.sid, "/live")
    family.create_version(fake_builds, service.sid, resource.sid, "/live")  # newer, not built
    deploy_live(fake_builds, environment, family.create_build(fake_builds, service.sid, old))
    with pytest.raises(TwilioRestException) as raised:
        family.of(api)(resource.sid).delete()
    assert raised.value.status == 409


def test_live_on_any_environment_of_the_service_refuses(
    fake_builds: FakeBuilds, api: Any, service: Any, environment: Any, family: Family
) -> None:
    production = fake_builds.create_environment(service.sid)
    resource = family.create(fake_builds, service.sid, "/live")
    version = family.create_version(fake_builds, service.sid, resource.sid, "/live")
    deploy_live(fake_builds, production, family.create_build(fake_builds, service.sid, version))
    fake_builds.create_environment(service.sid, domain_suffix="stage")
    with pytest.raises(TwilioRestException) as raised:
        family.of(api)(resource.sid).delete()
    assert raised.value.status == 409


@pytest.mark.parametrize("free", ["empty deployment", "delete environment", "other build"])
def test_delete_is_allowed_once_the_build_is_no_longer_live(
    fake_builds: FakeBuilds,
    api: Any,
    builds: Any,
    service: Any,
    environment: Any,
    family: Family,
    free: str,
) -> None:
    resource = family.create(fake_builds, service.sid, "/was-live")
    version = family.create_version(fake_builds, service.sid, resource.sid, "/was-live")
    build = family.create_build(fake_builds, service.sid, version)
    other = fake_builds.create_function_version(service.sid, "/other")
    deploy_live(fake_builds, environment, build)
    with pytest.raises(TwilioRestException):
        family.of(api)(resource.sid).delete()

    if free == "empty deployment":
        fake_builds.deploy(environment.sid)
    elif free == "delete environment":
        api.environments(environment.sid).delete()
    else:
        deploy_live(fake_builds, environment, fake_builds.create_build(service.sid, [other]))

    assert family.of(api)(resource.sid).delete() is True
    assert [r.sid for r in family.of(api).list() if r.sid == resource.sid] == []
    # A Build keeps its own copy of what it was made of.
    kept = builds(build.sid).fetch()
    assert [v["sid"] for v in getattr(kept, family.versions)] == [version.sid]


@pytest.mark.parametrize("status", ["building", "completed", "failed"])
def test_a_build_that_is_not_live_does_not_hold_the_resource(
    fake_builds: FakeBuilds, api: Any, service: Any, environment: Any, family: Family, status: str
) -> None:
    resource = family.create(fake_builds, service.sid, "/built")
    version = family.create_version(fake_builds, service.sid, resource.sid, "/built")
    if status == "failed":
        fake_builds.fail_next_build()
    build = family.create_build(fake_builds, service.sid, version)
    if status != "building":
        fake_builds.advance(fake_builds.build_duration)
    assert api.builds(build.sid).fetch().status == status
    assert family.of(api)(resource.sid).delete() is True


def test_another_resources_live_version_does_not_hold_this_one(
    fake_builds: FakeBuilds, api: Any, service: Any, environment: Any, family: Family
) -> None:
    live = family.create(fake_builds, service.sid, "/live")
    idle = family.create(fake_builds, service.sid, "/idle")
    family.create_version(fake_builds, service.sid, idle.sid, "/idle")
    version = family.create_version(fake_builds, service.sid, live.sid, "/live")
    deploy_live(fake_builds, environment, family.create_build(fake_builds, service.sid, version))
    assert family.of(api)(idle.sid).delete() is True
    with pytest.raises(TwilioRestException):
        family.of(api)(live.sid).delete()


def test_a_live_build_in_another_service_does_not_hold_this_one(
    fake_builds: FakeBuilds, api: Any, service: Any, family: Family
) -> None:
    elsewhere = fake_builds.create_service(unique_name="other-app")
    there = fake_builds.create_environment(elsewhere.sid)
    theirs = family.create(fake_builds, elsewhere.sid, "/theirs")
    theirs_version = family.create_version(fake_builds, elsewhere.sid, theirs.sid, "/theirs")
    deploy_live(fake_builds, there, family.create_build(fake_builds, elsewhere.sid, theirs_version))
    mine = family.create(fake_builds, service.sid, "/mine")
    family.create_version(fake_builds, service.sid, mine.sid, "/mine")
    assert family.of(api)(mine.sid).delete() is True


# Helpers --------------------------------------------------------------------------


def test_helper_record_is_what_the_api_serves(
    fake_builds: FakeBuilds, api: Any, service: Any, family: Family
) -> None:
    made = family.create(fake_builds, service.sid, "/made-by-helper")
    assert type(made).__name__ == family.word
    fetched = family.of(api)(made.sid).fetch()
    assert (fetched.sid, fetched.friendly_name, fetched.service_sid) == (
        made.sid,
        "/made-by-helper",
        service.sid,
    )
    assert fetched.date_created == made.date_created
    family.of(api)(made.sid).update(friendly_name="renamed")
    assert made.friendly_name == "renamed"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Missing required parameter FriendlyName in the post body"),
        ("n" * 256, "Invalid FriendlyName: must be at most 255 characters"),
    ],
    ids=["empty", "too-long"],
)
def test_refused_helper_creates_and_mints_nothing(
    fake_builds: FakeBuilds, service: Any, family: Family, name: str, message: str
) -> None:
    with unchanged(fake_builds), pytest.raises(InvalidParameterError) as raised:
        family.create(fake_builds, service.sid, name)
    assert raised.value.message == message
    assert isinstance(raised.value, ValueError)
    made = family.create(fake_builds, service.sid, "/next")

    twin = FakeBuilds(seed=fake_builds.seed)
    twin_service = twin.create_service(unique_name="my-app")
    assert family.create(twin, twin_service.sid, "/next").sid == made.sid


def test_helper_in_an_unknown_service_raises_lookup_error(
    fake_builds: FakeBuilds, service: Any, family: Family
) -> None:
    with unchanged(fake_builds), pytest.raises(NotFoundError) as raised:
        family.create(fake_builds, UNKNOWN_SERVICE, "/x")
    assert isinstance(raised.value, LookupError)
