#!/usr/bin/env python3
"""Every PromQL expression of the kvmscope dashboards and rules, and a live
check of them against a Prometheus server.

    queries.py list                      # kind, origin and expression, one a line
    queries.py check --url URL [--rate-interval 30s] [--require-data]
    queries.py --dir DIR --dir DIR2 ...  # other directories (deploy/fleet)

`check` sends each expression to URL's /api/v1/query: it must parse, and
with --require-data it must return at least one sample that is not NaN.
Alerting rules are `expr OP threshold`: the whole expression must parse
and, with --require-data, its left-hand side must return data (the alert
itself firing is the rules' unit tests' business).  Grafana variables are
substituted: $__rate_interval by --rate-interval, the others by ".*";
label_values(selector, label) queries become count by (label) (selector).
Output is TAP; the exit status is non-zero if any check failed.

Standard library only (Debian's python3).
"""
import argparse
import glob
import json
import math
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def load_rules(path):
    """(kind, origin, expr) of every rule in a Prometheus rules file.

    A deliberately small YAML reader for the subset kvmscope-rules.yml uses
    (no PyYAML on a minimal Debian): `- record:`/`- alert:` keys and
    `expr:` values, plain or folded (`>`).
    """
    out, name, kind = [], None, None
    lines = open(path).read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"\s*- (record|alert): (\S+)", line)
        if m:
            kind, name = m.group(1), m.group(2)
        m = re.match(r"(\s*)expr: ?(.*)$", line)
        if m and name:
            indent, val = len(m.group(1)), m.group(2).strip()
            if val in (">", "|", ">-", "|-"):
                parts = []
                i += 1
                while i < len(lines) and (not lines[i].strip() or
                                          len(lines[i]) - len(lines[i].lstrip()) > indent):
                    parts.append(lines[i].strip())
                    i += 1
                val = " ".join(p for p in parts if p)
                i -= 1
            out.append(("alert" if kind == "alert" else "record",
                        "%s:%s" % (os.path.basename(path), name), val))
        i += 1
    return out


def load_dashboard(path):
    """(kind, origin, expr) of every panel target and query variable."""
    d = json.load(open(path))
    base = os.path.basename(path)
    out = []
    for v in d.get("templating", {}).get("list", []):
        if v.get("type") != "query":
            continue
        q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
        out.append(("variable", "%s:$%s" % (base, v["name"]), q))

    def walk(panels):
        for p in panels:
            walk(p.get("panels", []))
            for t in p.get("targets", []):
                if t.get("expr"):
                    out.append(("panel", "%s:%s/%s" % (base, p["title"], t["refId"]),
                                t["expr"]))
    walk(d.get("panels", []))
    return out


def all_queries(directories):
    qs = []
    for d in directories:
        for f in sorted(glob.glob(os.path.join(d, "*.json"))):
            qs += load_dashboard(f)
        for f in sorted(glob.glob(os.path.join(d, "*rules.yml"))):
            qs += load_rules(f)
    return qs


def substitute(expr, rate_interval):
    """A dashboard expression with Grafana's variables replaced."""
    m = re.match(r"^\s*label_values\((.*),\s*(\w+)\)\s*$", expr, re.S)
    if m:
        expr = "count by (%s) (%s)" % (m.group(2), m.group(1))
    expr = expr.replace("$__rate_interval", rate_interval)
    expr = expr.replace("$__interval", rate_interval)
    # A variable's name starts with a letter: "$1" is label_replace's.
    return re.sub(r"\$\{?[A-Za-z_]\w*\}?", ".*", expr)


ALERT_RE = re.compile(r"^(.*\S)\s*(>|<|>=|<=|==|!=)\s*[-+0-9.eE]+\s*$", re.S)


def query(url, expr):
    """(ok, message, result list) of an instant query."""
    data = urllib.parse.urlencode({"query": expr}).encode()
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/api/v1/query", data,
                                    timeout=30) as r:
            body = json.load(r)
    except urllib.error.HTTPError as e:
        try:
            body = json.load(e)
        except ValueError:
            return False, "HTTP %d" % e.code, []
    except (urllib.error.URLError, OSError) as e:
        return False, str(e), []
    if body.get("status") != "success":
        return False, "%s: %s" % (body.get("errorType"), body.get("error")), []
    res = body["data"]["result"]
    if body["data"]["resultType"] == "scalar":
        res = [{"value": res}]
    return True, "", res


def has_data(result):
    for s in result:
        try:
            if not math.isnan(float(s["value"][1])):
                return True
        except (KeyError, ValueError):
            pass
    return False


def check(args):
    failed = n = 0
    for kind, origin, expr in all_queries(args.dir):
        e = substitute(expr, args.rate_interval)
        checks = [("parses", e, False)]
        if kind == "alert":
            m = ALERT_RE.match(e)
            if m and args.require_data:
                checks.append(("data (left of the threshold)", m.group(1), True))
        elif args.require_data:
            checks[0] = ("parses, returns data", e, True)
        for what, q, need in checks:
            n += 1
            ok, msg, res = query(args.url, q)
            if ok and need and not has_data(res):
                ok, msg = False, "no data (or only NaN)"
            print("%s %d - %s %s %s" % ("ok" if ok else "not ok", n, kind, origin, what))
            if not ok:
                failed += 1
                print("#   %s\n#   query: %s" % (msg, q))
    print("1..%d" % n)
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", action="append",
                    help="a directory of dashboards and rules (repeatable; default: this one)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list")
    c = sub.add_parser("check")
    c.add_argument("--url", required=True, help="Prometheus base URL")
    c.add_argument("--rate-interval", default="30s")
    c.add_argument("--require-data", action="store_true")
    args = ap.parse_args()
    args.dir = args.dir or [HERE]
    if args.cmd == "list":
        for kind, origin, expr in all_queries(args.dir):
            print("%s\t%s\t%s" % (kind, origin, " ".join(expr.split())))
        return 0
    return check(args)


if __name__ == "__main__":
    sys.exit(main())
