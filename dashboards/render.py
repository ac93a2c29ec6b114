#!/usr/bin/env python3
"""Draw the kvmscope dashboards without Grafana.

    render.py --url http://127.0.0.1:9090 --out DIR [--range 900] [--step 5]

Queries every panel of dashboards/*.json over the last --range seconds
through the Prometheus HTTP API (query_range) and draws it with gnuplot:
time series as lines, heatmaps as images of the per-bucket rates, stats as
their current value.  Writes one PNG per panel and DIR/index.html laying
them out per dashboard.  Grafana variables are substituted as in
queries.py ("all").  Needs python3 and gnuplot (Debian: gnuplot-nox).
"""
import argparse
import html
import json
import math
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import queries  # noqa: E402

UNITS = {"s": "seconds", "ops": "per second", "percentunit": "ratio",
         "short": "", "none": ""}


def query_range(url, expr, start, end, step):
    data = urllib.parse.urlencode({"query": expr, "start": start, "end": end,
                                   "step": step}).encode()
    with urllib.request.urlopen(url.rstrip("/") + "/api/v1/query_range", data,
                                timeout=60) as r:
        body = json.load(r)
    if body.get("status") != "success":
        raise RuntimeError(body.get("error"))
    return body["data"]["result"]


def legend(fmt, metric):
    """A series' name as Grafana shows it: a label the series lacks is
    empty, and the spaces around it collapse as in HTML."""
    if not fmt:
        return ",".join("%s=%s" % kv for kv in sorted(metric.items())) or "value"
    s = re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: metric.get(m.group(1), ""), fmt)
    return " ".join(s.split()) or "value"


def values(series):
    out = []
    for t, v in series["values"]:
        v = float(v)
        if not math.isnan(v) and not math.isinf(v):
            out.append((float(t), v))
    return out


PENDING = []


def gnuplot(script):
    """Queue a panel's script: run_gnuplot() draws them all in one gnuplot,
    as starting one per panel costs ~1.4 s each in the lab guest (TCG)."""
    PENDING.append("reset\n" + script)


def run_gnuplot():
    # gnuplot warns about flat y ranges on stderr: not worth showing.
    subprocess.run(["gnuplot"], input="".join(PENDING).encode(), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    del PENDING[:]


XTICS = 60	# seconds between x tics; main() sets it from --range


def header(png, title, unit, w, h):
    return ("set terminal pngcairo size %d,%d font 'DejaVu Sans,9'\n"
            "set output '%s'\nset title %s\nset xdata time\n"
            "set timefmt '%%s'\nset format x '%%H:%%M:%%S'\nset xtics %d\n"
            "set grid\nset key below\nset ylabel '%s'\n"
            % (w, h, png, json.dumps(title), XTICS, UNITS.get(unit, unit)))


def draw_timeseries(panel, results, png, datadir):
    """Draws the panel; returns its series' names, [] without data."""
    unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "")
    plots, names = [], []
    for i, (fmt, series) in enumerate(results):
        for j, s in enumerate(series):
            pts = values(s)
            if not pts:
                continue
            f = os.path.join(datadir, "%s-%d-%d.dat" % (os.path.basename(png), i, j))
            with open(f, "w") as out:
                out.writelines("%f %.9g\n" % p for p in pts)
            names.append(legend(fmt, s["metric"]))
            plots.append("'%s' using 1:2 with lines lw 1.5 title %s"
                         % (f, json.dumps(names[-1])))
    script = header(png, panel["title"], unit, 900, 380)
    if unit == "s":
        script += "set format y '%.1s%cs'\n"
    if not plots:
        script += "set label 'no data' at graph 0.5,0.5 center\nplot [0:1][0:1] NaN notitle\n"
    else:
        script += "plot " + ", \\\n  ".join(plots) + "\n"
    gnuplot(script)
    return names


def draw_heatmap(panel, series, png, datadir):
    """Cumulative le buckets -> per-bucket rate, one image row per bucket."""
    by_le = {}
    for s in series:
        le = s["metric"].get("le")
        if le is not None:
            by_le[float(le)] = dict((t, v) for t, v in values(s))
    les = sorted(by_le)
    times = sorted({t for d in by_le.values() for t in d})
    f = os.path.join(datadir, os.path.basename(png) + ".dat")
    rows = 0
    with open(f, "w") as out:
        for t in times:
            prev = 0.0
            for i, le in enumerate(les):
                cum = by_le[le].get(t, prev)
                out.write("%f %d %.9g\n" % (t, i, max(cum - prev, 0.0)))
                prev = cum
                rows += 1
            out.write("\n")
    # Label every other bucket by its upper edge.
    tics = ", ".join('"%s" %d' % ("+Inf" if math.isinf(le) else "%.3g" % le, i)
                     for i, le in enumerate(les) if i % 2 == 0)
    script = header(png, panel["title"] + " (per-bucket rate)", "", 900, 380)
    script += ("set ylabel 'le (seconds)'\nset ytics (%s)\n"
               "set palette defined (0 'white', 1 '#fdd49e', 2 '#fc8d59', 3 '#b30000')\n"
               "set cblabel 'observations/s'\n" % tics)
    if rows:
        script += "plot '%s' using 1:2:3 with image notitle\n" % f
    else:
        script += "set label 'no data' at graph 0.5,0.5 center\nplot [0:1][0:1] NaN notitle\n"
    gnuplot(script)
    return bool(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", required=True, help="Prometheus base URL")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--range", type=int, default=900, help="seconds back from now")
    ap.add_argument("--step", type=float, default=0, help="seconds (default range/200)")
    ap.add_argument("--rate-interval", default="30s")
    ap.add_argument("--dir", default=queries.HERE, help="dashboards directory")
    args = ap.parse_args()

    global XTICS
    XTICS = max(int(args.range / 6), 1)
    end = time.time()
    start = end - args.range
    step = args.step or max(args.range / 200.0, 1.0)
    os.makedirs(args.out, exist_ok=True)
    datadir = os.path.join(args.out, "data")
    os.makedirs(datadir, exist_ok=True)
    page = ["<!DOCTYPE html><html><head><meta charset='utf-8'><title>kvmscope</title>",
            "<style>body{font-family:sans-serif;margin:1em}figure{display:inline-block;"
            "margin:.5em;vertical-align:top}figcaption{max-width:900px;font-size:90%}"
            ".stat{font-size:200%;font-weight:bold}</style></head><body>",
            "<h1>kvmscope</h1><p>%s, last %ds, from %s</p>"
            % (time.strftime("%Y-%m-%d %H:%M:%S"), args.range, html.escape(args.url))]
    drawn = empty = 0
    for path in sorted(f for f in os.listdir(args.dir) if f.endswith(".json")):
        d = json.load(open(os.path.join(args.dir, path)))
        page.append("<h2>%s</h2><p>%s</p>" % (html.escape(d["title"]),
                                              html.escape(d.get("description", ""))))
        for p in d["panels"]:
            if p["type"] == "row":
                page.append("<h3>%s</h3>" % html.escape(p["title"]))
                continue
            name = "%s-%d.png" % (d["uid"], p["id"])
            png = os.path.join(args.out, name)
            exprs = [(t.get("legendFormat", ""), queries.substitute(t["expr"], args.rate_interval))
                     for t in p.get("targets", [])]
            caption = "<figcaption><b>%s</b>: %s</figcaption>" % (
                html.escape(p["title"]), html.escape(p.get("description", "")))
            if p["type"] == "stat":
                ok, _, res = queries.query(args.url, exprs[0][1])
                vals = ", ".join("%s %.4g" % (legend(exprs[0][0], s["metric"]), float(s["value"][1]))
                                 for s in res) if ok else "query failed"
                page.append("<figure><div class='stat'>%s</div>%s</figure>"
                            % (html.escape(vals or "no data"), caption))
                continue
            results = [(fmt, query_range(args.url, e, start, end, step)) for fmt, e in exprs]
            names = []
            if p["type"] == "heatmap":
                has = draw_heatmap(p, results[0][1], png, datadir)
            else:
                names = draw_timeseries(p, results, png, datadir)
                has = bool(names)
            drawn += 1
            empty += not has
            # The legend's names also as text, for a reader's search and
            # tests/bpf/67-dashboards-look.sh: the image has them as pixels.
            page.append("<figure><img src='%s' alt='%s' data-legend='%s'>%s</figure>"
                        % (name, html.escape(p["title"]),
                           html.escape(json.dumps(names)), caption))
    run_gnuplot()
    page.append("</body></html>")
    with open(os.path.join(args.out, "index.html"), "w") as f:
        f.write("\n".join(page))
    print("%d panels drawn (%d without data) into %s/index.html" % (drawn, empty, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
