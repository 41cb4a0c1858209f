#!/usr/bin/env python3
"""tools/report.py — writes REPORT.md for tools/reproduce from the trainers' outputs (standard library only).

  tools/report.py --runs DIR --mode quick|full|tiny [--papers tools/reproduce.d/papers.json]

Reads, per trainer listed in papers.json that has DIR/<trainer>.status:
  DIR/<trainer>.status   "done" or "failed <exit code>"; DIR/<trainer>.time: wall seconds of its last attempt
  DIR/<trainer>/metrics.json   the runs (schema in shared/DESIGN.md): the summary's key number, mean ± std over seeds
  DIR/<trainer>/results.md     the trainer's own table, pass conditions (lines starting PASS / FAIL) and its
                               verdict on the paper's claim (a line naming the claim "held" or "not held")
  DIR/<trainer>/*.png          the trainer's summary figures, shown inline
and writes DIR/REPORT.md: a summary table (paper, claim, held here?, our key number, the PyTorch pilot's,
pass conditions, wall time), then one section per paper.
"""
import argparse
import glob
import json
import math
import os
import platform
import re
import sys
import time


def mean_std(values):
    if not values:
        return None
    m = sum(values) / len(values)
    s = math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else 0.0
    return m, s, len(values)


def metric_values(runs, run, metric, where):
    """The metric of every record named `run` whose params hold `where` (one per seed)."""
    out = []
    for r in runs:
        if r.get("run") != run or metric not in r.get("metrics", {}):
            continue
        params = r.get("params", {})
        if all(k in params and params[k] == v for k, v in (where or {}).items()):
            out.append(float(r["metrics"][metric]))
    return out


def fmt_pct(ms):
    if ms is None:
        return "—"
    m, s, n = ms
    txt = f"{100 * m:.1f}"
    return txt + (f" ± {100 * s:.1f}" if n > 1 else "")


def key_number(tdir, key):
    path = os.path.join(tdir, "metrics.json")
    if not os.path.exists(path):
        return "—"
    try:
        runs = json.load(open(path)).get("runs", [])
    except (OSError, ValueError) as e:
        return f"unreadable metrics.json ({e})"
    ours = fmt_pct(mean_std(metric_values(runs, key["run"], key["metric"], key.get("where"))))
    if key.get("vs_run"):
        ours += " vs " + fmt_pct(mean_std(metric_values(runs, key["vs_run"], key["metric"], key.get("where"))))
    return ours


PASS_RE = re.compile(r"^\W*(PASS|FAIL)\b")


def read_results(tdir):
    """(the results.md text without its title, #passed, #conditions, verdict on the claim or None)."""
    path = os.path.join(tdir, "results.md")
    if not os.path.exists(path):
        return None, 0, 0, None
    text = open(path, encoding="utf-8", errors="replace").read()
    lines = text.splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    passed = total = 0
    verdict = None
    in_claims = False  # inside a section whose heading names the claims: its first verdict is the headline's
    for line in lines:
        m = PASS_RE.match(line)
        if m:
            total += 1
            passed += m.group(1) == "PASS"
        low = line.lower()
        if line.startswith("#"):
            in_claims = "claim" in low
        if verdict is None and ("claim" in low or in_claims):
            if "not held" in low:
                verdict = "not held"
            elif re.search(r"\bheld\b", low):
                verdict = "held"
    # Sub-headings move one level down: the trainer's section is a level-2 heading in the report.
    body = "\n".join(("#" + l) if l.startswith("#") else l for l in lines).strip()
    return body, passed, total, verdict


def cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", required=True)
    ap.add_argument("--mode", default="quick")
    ap.add_argument("--papers", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "reproduce.d", "papers.json"))
    args = ap.parse_args()
    papers = json.load(open(args.papers))["trainers"]
    rows, sections, total_s = [], [], 0.0
    for p in papers:
        t = p["trainer"]
        status_path = os.path.join(args.runs, t + ".status")
        if not os.path.exists(status_path):
            continue
        status = open(status_path).read().strip()
        try:
            secs = float(open(os.path.join(args.runs, t + ".time")).read().strip())
        except (OSError, ValueError):
            secs = float("nan")
        if not math.isnan(secs):
            total_s += secs
        tdir = os.path.join(args.runs, t)
        body, passed, total, verdict = read_results(tdir)
        held = verdict or ("—" if total == 0 else ("all pass conditions met" if passed == total else "some pass conditions failed"))
        if status != "done":
            held = f"run {status}"
        conds = f"{passed}/{total}" if total else "—"
        key = key_number(tdir, p["key"])
        rows.append(f"| {p['paper']} | `{t}` | {p['claim']} | **{held}** | {p['key']['label']}: {key} | {p['pilot']} | {conds} | {secs:.0f} s |")
        sec = [f"## {p['paper']}", "", f"`{t} --{args.mode}` ({status}, {secs:.0f} s; outputs in `{t}/`)", "",
               f"- **Claim:** {p['claim']}.", f"- **Published (for context):** {p['published']}."]
        if p.get("spec"):
            sec.append(f"- **Spec:** `shared/methods/{p['spec']}` (formulas, the scaled-down design, the PyTorch pilot).")
        sec.append(f"- **Key number here:** {p['key']['label']}: {key} (%, mean ± std over seeds); PyTorch pilot: {p['pilot']}.")
        sec.append(f"- **Verdict:** {held}; pass conditions met: {conds}.")
        sec.append("")
        sec.append(body if body else f"(no results.md: see `{t}.stdout`)")
        pngs = sorted(glob.glob(os.path.join(tdir, "*.png")))
        if pngs:
            sec.append("")
            sec.append("**Figures**")
            sec.append("")
            for png in pngs:
                rel = os.path.relpath(png, args.runs)
                sec.append(f"![{os.path.basename(png)}]({rel})")
        sec.append("")
        sections.append("\n".join(sec))
    out = [f"# eigengrad reproduction report (`--{args.mode}`)", "",
           f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {cpu_name()}, {os.cpu_count()} cores; "
           f"total training wall time {total_s / 60:.1f} min.", "",
           "Each trainer ran its preset; its numbers are means ± std over its seeds, in %. \"Held here?\" is the "
           "trainer's own verdict on the paper's claim (its results.md), else whether the spec's pass conditions held.",
           "", "## Summary", "",
           "| paper | trainer | claim | held here? | our key number | PyTorch pilot | pass conditions | time |",
           "| --- | --- | --- | --- | --- | --- | --- | --- |"] + rows + [""] + sections
    path = os.path.join(args.runs, "REPORT.md")
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    os.replace(tmp, path)
    print(f"report: {path} ({len(rows)} trainers, {total_s / 60:.1f} min of training)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
