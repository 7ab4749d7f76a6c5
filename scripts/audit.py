"""Lighthouse audit of every page of the built site, served on localhost, in Debian's Chromium.

    python scripts/audit.py [SITE_DIR] [--runs N]   (make audit: builds, installs Lighthouse, runs this)

Prints, for every page, the four Lighthouse scores (performance, accessibility,
best practices, SEO) at desktop settings and at mobile settings, and the page weight.
Goal: 100 in all four at desktop, at least 95 at mobile. Exits 1 when a page misses it.
Lighthouse is the npm package pinned in scripts/audit/package-lock.json.

Performance is a timing and varies with what else the machine is doing (on two cores a
busy neighbour costs a long page ten points at mobile settings): run it on an idle
machine, and with ``--runs 3`` (or 5, as Lighthouse advises) each score is the median.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pagecheck.browser import CHROMIUM_ARGS, SiteServer, chromium_path  # noqa: E402

LIGHTHOUSE = ROOT / "scripts" / "audit" / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
GOAL = {"desktop": 100, "mobile": 95}


def pages(site: Path) -> list[str]:
    found = sorted(
        "" if p.parent == site else str(p.parent.relative_to(site)) + "/"
        for p in site.rglob("index.html")
        if "assets" not in p.relative_to(site).parts and "search" not in p.relative_to(site).parts
    )
    return found + ["404.html"]


def audit(url: str, form: str, chrome: str) -> dict:
    flags = " ".join(CHROMIUM_ARGS + ["--user-data-dir=/tmp/lighthouse-profile"])
    command = [
        str(LIGHTHOUSE), url, "--quiet", "--output=json", "--output-path=stdout",
        f"--chrome-flags={flags}", "--only-categories=" + ",".join(CATEGORIES),
    ]
    if form == "desktop":
        command.append("--preset=desktop")
    env = {**os.environ, "CHROME_PATH": chrome}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    if result.returncode != 0:
        raise SystemExit(f"lighthouse failed on {url}:\n{result.stderr[-2000:]}")
    report = json.loads(result.stdout)
    scores = {c: round(100 * (report["categories"][c]["score"] or 0)) for c in CATEGORIES}
    weight = report["audits"]["total-byte-weight"]["numericValue"]
    failing = [
        f"{a['id']} ({a['score']})"
        for a in report["audits"].values()
        if a.get("score") is not None and a["score"] < 1 and a.get("scoreDisplayMode") == "binary"
    ]
    breakdown = {item["group"]: item["duration"] for item in report["audits"]["mainthread-work-breakdown"]["details"]["items"]}
    return {
        "scores": scores, "weight_kb": weight / 1024, "failing": failing,
        "tbt_ms": report["audits"]["total-blocking-time"]["numericValue"],
        "lcp_s": report["audits"]["largest-contentful-paint"]["numericValue"] / 1000,
        "dom": _dom_size(report),
        "main_thread": breakdown,  # milliseconds by kind of work: scriptEvaluation, styleLayout, ...
    }


def _dom_size(report: dict) -> int:
    for key in ("dom-size", "dom-size-insight"):
        audit = report["audits"].get(key)
        if audit and audit.get("numericValue") is not None:
            return int(audit["numericValue"])
    for item in report["audits"].get("dom-size-insight", {}).get("details", {}).get("items", []):
        if isinstance(item, dict) and "value" in item and isinstance(item["value"], (int, float)):
            return int(item["value"])
    return -1


def cause(result: dict) -> str:
    """What a page's performance score pays for, as measured: total blocking time and
    largest contentful paint, and the main thread's two largest kinds of work."""
    work = sorted(result["main_thread"].items(), key=lambda kv: -kv[1])[:2]
    kinds = ", ".join(f"{NAMES.get(k, k)} {v:.0f} ms" for k, v in work)
    return f"TBT {result['tbt_ms']:.0f} ms, LCP {result['lcp_s']:.1f} s, {result['dom']:,} elements; main thread: {kinds}"


NAMES = {"scriptEvaluation": "script", "styleLayout": "style & layout", "paintCompositeRender": "paint",
         "parseHTML": "HTML parsing", "scriptParseCompile": "script compile", "garbageCollection": "GC", "other": "other"}


def median_run(url: str, form: str, chrome: str, runs: int) -> dict:
    results = [audit(url, form, chrome) for _ in range(runs)]
    results.sort(key=lambda r: sum(r["scores"].values()))
    return results[len(results) // 2]


def main() -> int:
    args = sys.argv[1:]
    runs = 1
    if "--runs" in args:
        k = args.index("--runs")
        runs = int(args[k + 1])
        del args[k : k + 2]
    site = Path(args[0] if args else ROOT / "site")
    chrome = chromium_path()
    if chrome is None or not LIGHTHOUSE.exists():
        print("needs Debian's Chromium and `npm ci --prefix scripts/audit` (make audit does both checks)")
        return 2
    rows, misses = [], []
    with SiteServer(site) as server:
        for rel in pages(site):
            row = {"page": "/" + rel}
            for form in ("desktop", "mobile"):
                result = median_run(server.base + rel, form, chrome, runs)
                row[form] = result
                below = [c for c, v in result["scores"].items() if v < GOAL[form]]
                if below:
                    misses.append(f"/{rel} {form}: {', '.join(below)}; failing audits: {', '.join(result['failing']) or '-'}; "
                                  + cause(result))
            rows.append(row)
            print(f"audited /{rel}", file=sys.stderr)
    head = ("| page | desktop perf / a11y / best / SEO | mobile perf / a11y / best / SEO | weight (KiB) "
            "| DOM elements | mobile TBT (ms) | mobile main thread: script / style & layout (ms) |")
    print(head)
    print("| --- | --- | --- | ---: | ---: | ---: | ---: |")
    for row in rows:
        cells = [" / ".join(str(row[f]["scores"][c]) for c in CATEGORIES) for f in ("desktop", "mobile")]
        mobile = row["mobile"]
        work = mobile["main_thread"]
        print(f"| `{row['page']}` | {cells[0]} | {cells[1]} | {mobile['weight_kb']:.0f} | {mobile['dom']:,} "
              f"| {mobile['tbt_ms']:.0f} | {work.get('scriptEvaluation', 0):.0f} / {work.get('styleLayout', 0):.0f} |")
    if misses:
        print("\nbelow the goal (100 desktop, 95 mobile):")
        for miss in misses:
            print("  " + miss)
        return 1
    print("\nevery page meets the goal: 100 in all four at desktop, at least 95 at mobile")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
