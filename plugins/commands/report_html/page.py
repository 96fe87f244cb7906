"""The HTML page: one self-contained file, nothing fetched when it is viewed.

Inline CSS, every figure an inline ``<svg>`` in a ``<figure class="plot">``, and a few lines of
inline script that check, once the browser has laid the page out, that each figure drew (its
SVG has a size and drawn elements): ``data-drawn="yes"`` on the figure, or a console error
naming it. The browser test reads both.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

_CSS = """
:root { --ink: #1d2733; --muted: #5b6b7b; --line: #d8dee5; --accent: #1f4e8c; --bad: #c0392b; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: var(--ink); background: #f4f6f8; }
header { background: var(--accent); color: white; padding: 18px 32px; }
header h1 { margin: 0; font-size: 24px; }
header p { margin: 4px 0 0; opacity: 0.85; }
nav { background: white; border-bottom: 1px solid var(--line); padding: 8px 32px;
      position: sticky; top: 0; z-index: 1; }
nav a { margin-right: 18px; color: var(--accent); text-decoration: none; font-weight: 600; }
main { max-width: 1100px; margin: 0 auto; padding: 16px 32px 48px; }
section { background: white; border: 1px solid var(--line); border-radius: 6px;
          padding: 8px 24px 16px; margin: 18px 0; }
h2 { font-size: 20px; border-bottom: 2px solid var(--line); padding-bottom: 6px; }
table.data { border-collapse: collapse; margin: 8px 0 12px; font-size: 14px; }
table.data th, table.data td { border-bottom: 1px solid var(--line); padding: 4px 12px;
                               text-align: left; vertical-align: top; }
table.data td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.data th { background: #eef2f6; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 16px; min-width: 120px; }
.card b { display: block; font-size: 22px; }
.card span { color: var(--muted); font-size: 13px; }
.card.bad b { color: var(--bad); }
figure.plot { margin: 18px 0; }
figure.plot svg { max-width: 100%; height: auto; display: block; margin: 0 auto; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; }
p.note { color: var(--muted); }
"""

_CHECK = """
(function () {
  var figures = document.querySelectorAll('figure.plot'), undrawn = 0;
  figures.forEach(function (f) {
    var svg = f.querySelector('svg'), box = svg ? svg.getBoundingClientRect() : null;
    var marks = svg ? svg.querySelectorAll('path, use, text, image, rect').length : 0;
    var drawn = !!box && box.width > 0 && box.height > 0 && marks > 0;
    f.setAttribute('data-drawn', drawn ? 'yes' : 'no');
    if (!drawn) { undrawn += 1; console.error('figure ' + f.id + ' did not draw'); }
  });
  document.body.setAttribute('data-figures', String(figures.length));
  document.body.setAttribute('data-undrawn', String(undrawn));
})();
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _table(headings: list[str], rows: list[list[Any]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    head = "".join(f"<th>{_e(h)}</th>" for h in headings)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{_e(v)}</td>' if i in numeric else f"<td>{_e(v)}</td>"
                         for i, v in enumerate(row)) + "</tr>" for row in rows)
    return f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _bytes(value: Any) -> str:
    from orcapost.api import human_bytes

    return "" if value is None else human_bytes(value)


def summary_html(report: dict) -> str:
    s = report.get("summary") or {}
    settings = report.get("settings") or {}
    fps = s.get("files_per_second")
    cards = [("files", s.get("files"), False), ("ok", s.get("ok"), False),
             ("failed", s.get("failed"), bool(s.get("failed"))),
             ("partial", s.get("partial"), bool(s.get("partial"))),
             ("data", _bytes(s.get("bytes")), False),
             ("elapsed", f"{s.get('elapsed') or 0:.1f} s", False),
             ("files/s", f"{fps:.2f}" if fps else "", False)]
    out = ['<div class="cards">'] + [
        f'<div class="card{" bad" if bad else ""}"><b>{_e(v)}</b><span>{_e(k)}</span></div>'
        for k, v, bad in cards] + ["</div>"]
    if s.get("interrupted"):
        out.append('<p class="note">The run was interrupted: these are a partial result set.</p>')
    policy = settings.get("thread_policy") or {}
    rows: list[list[Any]] = [["config", settings.get("config")],
            ["thread policy", policy.get("name") if isinstance(policy, dict) else policy],
            ["executor", settings.get("executor")],
            ["initial concurrency / ceiling",
             f"{settings.get('initial_concurrency')} / {settings.get('ceiling')}"],
            ["machine", f"{settings.get('cpu_count')} CPUs, {settings.get('platform')} "
                        f"{settings.get('machine')}, Python {settings.get('python')}"],
            ["orcapost", f"{report.get('orcapost')} (finished {report.get('finished_at')})"]]
    memory = report.get("memory") or {}
    if memory:
        rows.append(["memory", f"peak RSS {_bytes(memory.get('peak_rss'))}, least available "
                               f"{_bytes(memory.get('min_available'))}"])
    out.append(_table(["setting", "value"], rows))
    failures = report.get("failures") or []
    out.append(f"<h3>Failures ({len(failures)})</h3>")
    if failures:
        out.append(_table(["file", "stage", "column", "reason"],
                          [[Path(f.get("file", "")).name, f.get("stage"), f.get("column") or "",
                            f.get("reason")] for f in failures]))
    else:
        out.append('<p class="note">No file failed.</p>')
    warned = report.get("warnings") or []  # warnings raised while files were read, by file
    if warned:
        out.append(f"<h3>Warnings while files were read ({len(warned)})</h3>")
        # Folded (a closed <details>: no script) under their count by category: a campaign
        # whose every file warns would otherwise push the figures tens of thousands of
        # pixels down the page (the demo's 24 files raise 176).
        categories: dict[str, int] = {}
        for w in warned:
            categories[str(w.get("category"))] = categories.get(str(w.get("category")), 0) + 1
        counted = ", ".join(f"{name} {n}" for name, n in categories.items())
        out.append(f"<details><summary>{_e(len(warned))} rows: {_e(counted)}</summary>")
        out.append(_table(["file", "column", "warning", "count"],
                          [[Path(str(w.get("file", ""))).name,
                            f"{w.get('group')}/{w.get('column')}" if w.get("column") else "",
                            f"{w.get('category')}: {w.get('message')}", w.get("count")]
                           for w in warned], numeric={3}))
        out.append("</details>")
    errors = report.get("plugin_errors") or []
    if errors:
        out.append(f"<h3>Plugin errors ({len(errors)})</h3>")
        out.append(_table(["plugin", "hook", "error"],
                          [[e.get("plugin"), e.get("hook"), e.get("error")] for e in errors]))
    return "\n".join(out)


def figure_html(key: str, title: str, svg: str, caption: str) -> str:
    return (f'<figure class="plot" id="{_e(key)}" aria-label="{_e(title)}">{svg}'
            f"<figcaption>{_e(caption)}</figcaption></figure>")


def page(title: str, subtitle: str, summary: str,
         sections: list[tuple[str, str, list[str]]], notes: list[str]) -> str:
    """The whole page: ``sections`` are (anchor, heading, html parts)."""
    nav = "".join(f'<a href="#{_e(a)}">{_e(h)}</a>' for a, h, _ in
                  [("summary", "Summary", [])] + sections)
    body = [f'<section id="summary"><h2>Summary</h2>{summary}</section>']
    for anchor, heading, parts in sections:
        body.append(f'<section id="{_e(anchor)}"><h2>{_e(heading)}</h2>{"".join(parts)}</section>')
    if notes:
        body.append('<section id="notes"><h2>Notes</h2><ul>'
                    + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul></section>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
            f"<header><h1>{_e(title)}</h1><p>{_e(subtitle)}</p></header><nav>{nav}</nav>"
            f"<main>{''.join(body)}</main><script>{_CHECK}</script></body></html>\n")
