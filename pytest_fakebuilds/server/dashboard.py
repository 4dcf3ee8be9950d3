"""The page at ``/_fake/``: what a person developing offline keeps open.

Server-rendered HTML with no JavaScript: the clock, the services with their
environments and the build live on each, the builds with their status and
why they failed, the latest requests, and forms (plain POSTs that come back
here) to advance the clock and to fail or hang the next build. One column,
so it reads on a narrow window.

Words break only where text may break; the long tokens (SIDs, domains,
dates, operation names, paths, reasons) may break anywhere. On a narrow
window each table row becomes a block of labelled lines: letting every cell
break anywhere instead made the table squeeze short words mid-letter.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .app import FakeServer

STYLE = """
body{font:15px/1.4 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:0 1rem;color:#222}
h1{font-size:1.3rem} h2{font-size:1.05rem;margin-top:1.6rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%} td,th{text-align:left;padding:.25rem .4rem;
vertical-align:top;border-bottom:1px solid #eee;overflow-wrap:break-word}
code{font-size:.85em} .long,code{overflow-wrap:anywhere}
form{display:inline-block;margin:.2rem .4rem .2rem 0}
.completed{color:#17692c} .failed{color:#b3261e;font-weight:600} .building{color:#8a5a00}
.empty{color:#777;font-style:italic}
@media (max-width:40rem){table,tbody,tr,td{display:block} tr:first-child{display:none}
tr{padding:.3rem 0;border-bottom:1px solid #ddd} td{border:0;padding:.1rem .2rem}
td[data-label]::before{content:attr(data-label) ": ";color:#666} td:empty{display:none}}
"""


def page(app: FakeServer) -> str:
    fake = app.fake
    store = fake._store
    now = fake.now()
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        '<meta name=viewport content="width=device-width,initial-scale=1">',
        f"<title>pytest-fakebuilds — {escape(app.url)}</title><style>{STYLE}</style></head><body>",
        "<h1>pytest-fakebuilds</h1>",
        f"<p>Serving <code>{escape(app.url)}</code> (seed {fake.seed}).</p>",
        "<h2>Clock</h2>",
        f"<p id=clock>{escape(now.isoformat())}</p>",
        _button("advance", "Advance 10 s", seconds="10"),
        _button("advance", "Advance 1 min", seconds="60"),
        _button("fail-next-build", "Fail the next build", count="1"),
        _button("hang-next-build", "Hang the next build", count="1"),
        "<h2>Services</h2>",
    ]
    services = list(store.services)
    if not services:
        parts.append("<p class=empty>No services yet.</p>")
    for service in services:
        parts.append(f"<h3>{escape(service.unique_name)} <code>{service.sid}</code></h3>")
        environments = list(store.environments.of(service.sid))
        if not environments:
            parts.append("<p class=empty>No environments.</p>")
            continue
        parts.append("<table><tr><th>Environment</th><th>Domain</th><th>Live build</th></tr>")
        for env in environments:
            live = (
                f"<code>{env.build_sid}</code>"
                if env.build_sid
                else "<span class=empty>none</span>"
            )
            parts.append(
                f"<tr><td data-label=Environment>{escape(env.unique_name)}</td>"
                f"<td class=long data-label=Domain>{escape(env.domain_name)}</td>"
                f"<td data-label='Live build'>{live}</td></tr>"
            )
        parts.append("</table>")
    parts.append("<h2>Builds</h2>")
    builds = sorted(store.builds, key=lambda b: b.seq, reverse=True)
    if not builds:
        parts.append("<p class=empty>No builds yet.</p>")
    else:
        parts.append(
            "<table id=builds><tr><th>Build</th><th>Status</th><th>Runtime</th>"
            "<th>Created</th><th>Why it failed</th></tr>"
        )
        for build in builds[:100]:
            status = build.status_at(now)
            reason = fake.failure_reason(build.sid) or ""
            parts.append(
                f"<tr><td data-label=Build><code>{build.sid}</code></td>"
                f"<td class={status} data-label=Status>{status}</td>"
                f"<td data-label=Runtime>{escape(build.runtime)}</td>"
                f"<td class=long data-label=Created>{escape(build.date_created.isoformat())}</td>"
                f"<td class=long data-label='Why it failed'>{escape(reason)}</td></tr>"
            )
        parts.append("</table>")
    parts.append("<h2>Latest requests</h2>")
    calls = fake.calls[-25:][::-1]
    if not calls:
        parts.append("<p class=empty>No requests yet.</p>")
    else:
        parts.append(
            "<table id=calls><tr><th>Time</th><th>Operation</th><th>Request</th>"
            "<th>Answer</th></tr>"
        )
        for call in calls:
            answer = (
                f"raised {type(call.response.exception).__name__}"
                if call.response.exception is not None
                else str(call.response.status)
            )
            when = call.time.strftime("%H:%M:%S") if call.time else ""
            parts.append(
                f"<tr><td data-label=Time>{when}</td>"
                f"<td class=long data-label=Operation>{escape(call.operation or '—')}</td>"
                f"<td data-label=Request>{escape(call.request.method)} "
                f"<code>{escape(call.request.path)}</code></td>"
                f"<td data-label=Answer>{escape(answer)}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "".join(parts)


def _button(action: str, label: str, **fields: str) -> str:
    hidden = "".join(
        f'<input type=hidden name="{escape(name)}" value="{escape(value)}">'
        for name, value in fields.items()
    )
    return (
        f'<form method=post action="/_fake/actions/{action}">{hidden}'
        f"<button type=submit>{escape(label)}</button></form>"
    )
