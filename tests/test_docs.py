"""Every code block in README.md and docs/*.md is executed, so the docs cannot rot.

Each fenced block is one test, named ``<file>:<line of its opening fence>``:

- ```` ```python ```` blocks that define a test (``def test_``) are written to a
  test file and run by an in-process pytest (``pytester``); they must pass, with at
  least one test, no failure and no error. A test block that directly follows an
  ```` ```ini ```` or ```` ```toml ```` block of the same file (no other code block
  between them) runs with that block as its configuration file.
- Other ```` ```python ```` blocks are run as scripts and must not raise.
- ```` ```ini ```` and ```` ```toml ```` blocks that configure pytest-fakebuilds are
  loaded by pytest with ``--strict-config``, around a test that uses the fixture
  and asserts that every ``fakebuilds_*`` setting of the block reached its fake
  (the values are read from the block itself).
- ```` ```json ```` blocks must parse.
- ```` ```shell ```` blocks are run: every line after a ``$ `` is a command,
  run in bash in a fresh directory, and must exit 0.
- ```` ```console ````, ```` ```bash ```` and ```` ```text ```` blocks are only shown.

A block without a language tag, or with a tag not listed here, fails: no code
reaches the docs without being either run or deliberately marked as shown only.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import runpy
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

# freezegun.api, the fake's modules and twilio are imported here, in the outer
# process, so that every in-process pytest run below shares them: pytester
# forgets the modules a run imported, and the fake keeps process-wide state
# (freezegun's stacks, the request routing) that must not be loaded twice.
# hypothesis (whose pytest plugin every inner run loads) would otherwise be
# imported afresh by each run, at about a second each.
import freezegun.api
import hypothesis
import pytest
import twilio.rest

import pytest_fakebuilds.fake
import pytest_fakebuilds.socket_guard
import pytest_fakebuilds.transport

SHARED_MODULES = (
    freezegun.api,
    hypothesis,
    twilio.rest,
    pytest_fakebuilds.fake,
    pytest_fakebuilds.socket_guard,
    pytest_fakebuilds.transport,
)

ROOT = Path(__file__).resolve().parent.parent
DOC_FILES = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))

SHOWN_ONLY = frozenset({"console", "bash", "text"})
CONFIG = frozenset({"ini", "toml"})
KNOWN = SHOWN_ONLY | CONFIG | {"python", "json", "shell"}

# Up to three spaces of indentation in CommonMark; more is allowed here so that
# blocks inside list items are found too.
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")

# The test that exercises a configuration block: SETTINGS_OF_THE_BLOCK is replaced
# by the settings read from the block, and each one must have reached the fake.
CONFIG_SMOKE_TEST = """
from datetime import datetime, timedelta, timezone

from pytest_fakebuilds.plugin import derive_seed

EXPECTED = SETTINGS_OF_THE_BLOCK


def test_fake_builds_runs_with_this_configuration(fake_builds, request):
    if "seed" in EXPECTED:
        assert fake_builds.seed == derive_seed(EXPECTED["seed"], request.node.nodeid)
    if "build_duration" in EXPECTED:
        assert fake_builds.build_duration == timedelta(seconds=EXPECTED["build_duration"])
    if "strict" in EXPECTED:
        assert fake_builds.strict is EXPECTED["strict"]
    if "freeze" in EXPECTED:
        assert fake_builds.freezes_time is EXPECTED["freeze"]
        assert (datetime.now(timezone.utc) == fake_builds.now()) is EXPECTED["freeze"]
    service = fake_builds.create_service(unique_name="docs-config")
    version = fake_builds.create_function_version(service.sid, path="/hello")
    builds = fake_builds.client().serverless.v1.services(service.sid).builds
    build = builds.create(function_versions=[version.sid])
    fake_builds.advance(fake_builds.build_duration)
    assert builds(build.sid).fetch().status in ("completed", "failed")
"""


@dataclass(frozen=True)
class Block:
    """One fenced code block of a Markdown file."""

    path: Path
    line: int  # 1-based line of the opening fence
    lang: str  # first word of the info string, "" when there is none
    source: str
    closed: bool = True
    config: Block | None = None  # the ini/toml block a test block runs with

    @property
    def id(self) -> str:
        try:
            name = self.path.relative_to(ROOT).as_posix()
        except ValueError:
            name = self.path.name
        return f"{name}:{self.line}"

    @property
    def module_name(self) -> str:
        """A module name of its own: the fake caches its time patches by module name."""
        return re.sub(r"\W", "_", self.id).lower()  # docs/guide.md:42 -> docs_guide_md_42

    @property
    def defines_tests(self) -> bool:
        return re.search(r"^\s*(?:async\s+)?def test_", self.source, re.MULTILINE) is not None

    @property
    def configures_plugin(self) -> bool:
        return "fakebuilds" in self.source


# The ini keys of the plugin, by the setting of the fake each one sets.
SETTINGS = {
    "fakebuilds_seed": "seed",
    "fakebuilds_build_duration": "build_duration",
    "fakebuilds_strict": "strict",
    "fakebuilds_freeze_time": "freeze",
}


def config_settings(block: Block) -> dict[str, Any]:
    """The fake's settings that a configuration block sets, read from the block
    (keys the plugin does not know are left to ``--strict-config``)."""
    if block.lang == "ini":
        parser = configparser.ConfigParser(interpolation=None)
        parser.read_string(block.source)
        raw: dict[str, Any] = dict(parser["pytest"]) if parser.has_section("pytest") else {}
    else:
        raw = tomllib.loads(block.source).get("tool", {}).get("pytest", {}).get("ini_options", {})
    settings: dict[str, Any] = {}
    for key, value in raw.items():
        name = SETTINGS.get(key)
        if name == "seed":
            settings[name] = int(str(value).strip())
        elif name == "build_duration":
            settings[name] = float(str(value).strip())
        elif name is not None:
            settings[name] = _boolean(value)
    return settings


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    assert text in ("true", "false", "1", "0", "yes", "no", "on", "off"), value
    return text in ("true", "1", "yes", "on")


def parse_blocks(path: Path, text: str) -> list[Block]:
    """The fenced code blocks of ``text``, in order, each paired with its config."""
    blocks: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        index += 1
        if opening is None:
            continue
        fence, indent = opening["fence"], len(opening["indent"])
        info = opening["info"].strip()
        start, body = index, []
        closed = False
        while index < len(lines):
            line = lines[index]
            index += 1
            closing = line.strip()
            if closing.startswith(fence[0] * len(fence)) and set(closing) == {fence[0]}:
                closed = True
                break
            body.append(_dedent(line, indent))
        lang = info.split()[0].lower() if info else ""
        source = "\n".join(body) + "\n"
        config = None
        if lang == "python" and blocks and blocks[-1].lang in CONFIG:
            config = blocks[-1]
        blocks.append(Block(path, start, lang, source, closed, config))
    return blocks


def _dedent(line: str, indent: int) -> str:
    prefix = len(line) - len(line.lstrip(" \t"))
    return line[min(prefix, indent) :]


def collect() -> list[Block]:
    blocks: list[Block] = []
    for path in DOC_FILES:
        if path.exists():
            blocks.extend(parse_blocks(path, path.read_text(encoding="utf-8")))
    return blocks


BLOCKS = collect()


@pytest.mark.parametrize("block", BLOCKS, ids=[block.id for block in BLOCKS])
def test_code_block(block: Block, pytester: pytest.Pytester) -> None:
    assert block.closed, f"{block.id}: the code block is never closed"
    assert block.lang, (
        f"{block.id}: a code block needs a language tag (python, or one of "
        f"{', '.join(sorted(KNOWN - {'python'}))} for code that is shown, not run)"
    )
    assert block.lang in KNOWN, (
        f"{block.id}: unknown language tag {block.lang!r}; use one of {', '.join(sorted(KNOWN))}"
    )
    if block.lang == "python":
        if block.defines_tests:
            run_test_block(block, pytester)
        else:
            run_script_block(block, pytester)
    elif block.lang == "json":
        json.loads(block.source)
    elif block.lang == "shell":
        run_shell_block(block, pytester)
    elif block.lang in CONFIG and block.configures_plugin:
        run_config_block(block, pytester)


def run_test_block(block: Block, pytester: pytest.Pytester) -> None:
    if block.config is not None:
        write_config(block.config, pytester)
    pytester.makepyfile(**{f"test_{block.module_name}": block.source})
    assert_tests_pass(block, pytester)


def run_config_block(block: Block, pytester: pytest.Pytester) -> None:
    settings = config_settings(block)
    write_config(block, pytester)
    smoke = CONFIG_SMOKE_TEST.replace("SETTINGS_OF_THE_BLOCK", repr(settings))
    pytester.makepyfile(test_config_smoke=smoke)
    result = assert_tests_pass(block, pytester)
    if "seed" in settings:
        header = f"fakebuilds: seed {settings['seed']} ("
        assert any(line.startswith(header) for line in result.outlines), result.stdout.str()


def run_script_block(block: Block, pytester: pytest.Pytester) -> None:
    # Written to a file (in pytester's temporary directory, which is also the
    # working directory) so that a traceback shows the example's own lines.
    script = pytester.makepyfile(**{block.module_name: block.source})
    runpy.run_path(str(script), run_name=block.module_name)


def shell_commands(block: Block) -> list[str]:
    """The commands of a ``shell`` block: lines after a ``$ ``, with ``\\`` continuations."""
    commands: list[str] = []
    current: list[str] = []
    for line in block.source.splitlines():
        if not current and not line.startswith("$ "):
            continue  # output shown after a command
        current.append(line[2:] if not current else line)
        if line.endswith("\\"):
            current[-1] = current[-1][:-1]
            continue
        commands.append(" ".join(part.strip() for part in current))
        current = []
    return commands


def run_shell_block(block: Block, pytester: pytest.Pytester) -> None:
    """Each command runs in bash, in a fresh directory, and must succeed; the
    repository is ``$FAKEBUILDS_REPO`` and the project's Python is first on PATH."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        env.pop(name, None)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["FAKEBUILDS_REPO"] = str(ROOT)
    commands = shell_commands(block)
    assert commands, f"{block.id}: a shell block needs at least one '$ ' command"
    for command in commands:
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=pytester.path,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert done.returncode == 0, (
            f"{block.id}: `{command}` exited {done.returncode}\n"
            f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
        )


def write_config(block: Block, pytester: pytest.Pytester) -> None:
    if block.lang == "ini":
        pytester.makefile(".ini", pytest=block.source)
    else:
        pytester.makepyprojecttoml(block.source)


def assert_tests_pass(block: Block, pytester: pytest.Pytester) -> pytest.RunResult:
    # As strict as the project's own configuration: warnings are errors.
    result = pytester.runpytest(
        *("-p", "no:randomly", "-p", "no:cacheprovider", "-W", "error"),
        *("--strict-markers", "--strict-config"),
    )
    try:
        outcomes = result.parseoutcomes()
    except ValueError:  # no summary line: the run itself crashed
        outcomes = {}
    passed = outcomes.get("passed", 0)
    failed = outcomes.get("failed", 0)
    errors = outcomes.get("errors", 0) + outcomes.get("error", 0)
    report = f"{block.id}: expected every test of the example to pass, got {outcomes}\n"
    report += result.stdout.str()
    assert passed >= 1, report
    assert failed == 0, report
    assert errors == 0, report
    return result


# The collector itself ------------------------------------------------------------


def test_the_readme_has_an_executed_test() -> None:
    readme = [block for block in BLOCKS if block.path.name == "README.md"]
    assert any(block.lang == "python" and block.defines_tests for block in readme)


def test_every_docs_file_is_collected() -> None:
    for name in ("guide.md", "behaviour.md", "reference.md"):
        assert ROOT / "docs" / name in DOC_FILES


def test_parse_blocks_finds_tags_lines_and_configs(tmp_path: Path) -> None:
    text = "\n".join(
        [
            "# Title",  # 1
            "```ini",  # 2
            "[pytest]",
            "```",
            "Some prose.",
            "```python",  # 6
            "def test_x(): pass",
            "```",
            "- a list item:",
            "",
            "  ````",  # 11
            "  ```python",
            "  nested fence text",
            "  ```",
            "  ````",
            "~~~python",  # 16
            "```",
            "~~~",
            "```text",  # 19
            "unclosed",
        ]
    )
    blocks = parse_blocks(tmp_path / "x.md", text)
    assert [(b.line, b.lang, b.closed) for b in blocks] == [
        (2, "ini", True),
        (6, "python", True),
        (11, "", True),
        (16, "python", True),
        (19, "text", False),
    ]
    assert blocks[1].config is blocks[0]
    assert blocks[1].defines_tests
    assert blocks[2].source == "```python\nnested fence text\n```\n"
    assert blocks[3].source == "```\n"
    assert blocks[3].config is None


def test_untagged_block_fails(tmp_path: Path, pytester: pytest.Pytester) -> None:
    (block,) = parse_blocks(tmp_path / "x.md", "```\nprint('unexecuted')\n```\n")
    with pytest.raises(AssertionError, match="needs a language tag"):
        test_code_block(block, pytester)


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("```py\nprint('hi')\n```\n", "unknown language tag 'py'"),
        ("```python\ndef test_x(fake_builds):\n    assert False\n```\n", "'failed': 1"),
        ("```python\nimport pytest\ndef test_x():\n    pytest.skip()\n```\n", "'skipped': 1"),
        ("```ini\n[pytest]\nfakebuilds_sede = 1\n```\n", "expected every test"),
        ("```json\n{'not': 'json'}\n```\n", "Expecting property name"),
        ("```python\nraise RuntimeError('the example broke')\n```\n", "the example broke"),
    ],
    ids=["unknown-tag", "failing-test", "no-test-passes", "bad-ini-key", "bad-json", "script"],
)
def test_broken_examples_fail(
    markdown: str, expected: str, tmp_path: Path, pytester: pytest.Pytester
) -> None:
    (block,) = parse_blocks(tmp_path / "x.md", markdown)
    with pytest.raises(Exception, match=re.escape(expected)):
        test_code_block(block, pytester)


def test_config_settings_are_read_from_the_block(tmp_path: Path) -> None:
    ini, toml = parse_blocks(
        tmp_path / "x.md",
        "```ini\n[pytest]\nfakebuilds_seed = 7\nfakebuilds_strict = yes\n"
        "fakebuilds_freeze_time = False\nfakebuilds_build_duration = 2.5\n"
        "xfail_strict = true\n```\n"
        "```toml\n[tool.pytest.ini_options]\nfakebuilds_seed = 8\nfakebuilds_strict = false\n"
        'fakebuilds_freeze_time = true\nfakebuilds_build_duration = "0"\n```\n',
    )
    assert config_settings(ini) == {
        "seed": 7,
        "strict": True,
        "freeze": False,
        "build_duration": 2.5,
    }
    assert config_settings(toml) == {
        "seed": 8,
        "strict": False,
        "freeze": True,
        "build_duration": 0.0,
    }


@pytest.mark.parametrize(
    ("setting", "line"),
    [
        ("seed", "fakebuilds_seed = 1234"),
        ("build_duration", "fakebuilds_build_duration = 30"),
        ("strict", "fakebuilds_strict = true"),
        ("freeze", "fakebuilds_freeze_time = false"),
    ],
)
@pytest.mark.parametrize("lang", ["ini", "toml"])
def test_a_setting_that_does_not_reach_the_fake_fails(
    setting: str,
    line: str,
    lang: str,
    tmp_path: Path,
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The fixture is made to drop one setting (the fake gets its default): the
    block's run must fail, or the docs machinery checks nothing."""
    import pytest_fakebuilds.plugin as plugin

    original = plugin.settings_for

    def dropping(request: pytest.FixtureRequest) -> dict[str, Any]:
        settings = original(request)
        del settings[setting]
        return settings

    if lang == "ini":
        markdown = f"```ini\n[pytest]\n{line}\n```\n"
    else:
        # TOML takes 1234, 30, true and false bare, as the ini form writes them.
        markdown = f"```toml\n[tool.pytest.ini_options]\n{line}\n```\n"
    (block,) = parse_blocks(tmp_path / "x.md", markdown)
    assert setting in config_settings(block)
    test_code_block(block, pytester)  # as written, the block passes
    monkeypatch.setattr(plugin, "settings_for", dropping)
    with pytest.raises(AssertionError, match="expected every test of the example to pass"):
        test_code_block(block, pytester)
