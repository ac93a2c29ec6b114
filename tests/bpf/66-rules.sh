#!/usr/bin/env bash
# The Prometheus rules of dashboards/ (and the fleet's in deploy/fleet/,
# with its agent configuration): they load, their unit tests
# (dashboards/tests/*.yml, input series and expected alerts) pass, every
# alert is tested there, and every alert's runbook_url names a section of
# dashboards/runbook.md.  Needs only promtool: no exporter, no BPF.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh

rules=dashboards/kvmscope-rules.yml
if ! command -v promtool >/dev/null; then
	not_ok "promtool installed (make deps)"
	tap_done
	exit 1
fi
check "promtool check rules" promtool check rules "$rules"
check "promtool check rules deploy/fleet/kvmscope-fleet-rules.yml" \
	promtool check rules deploy/fleet/kvmscope-fleet-rules.yml
check "promtool check config deploy/fleet/prometheus-agent.yml" \
	promtool check config deploy/fleet/prometheus-agent.yml
# promtool resolves rule_files relative to each test file.
check "promtool test rules dashboards/tests/*.yml" promtool test rules dashboards/tests/*.yml

# Sections of the runbook by their GitHub anchors (headings lower-cased).
anchors=$(sed -n 's/^## //p' dashboards/runbook.md | tr 'A-Z' 'a-z')
for a in $(sed -n 's/^ *- alert: //p' "$rules"); do
	check "$a has a test in dashboards/tests" \
		grep -q "alertname: $a\$" dashboards/tests/*.yml
	url=$(awk -v a="$a" '$0 ~ "- alert: " a "$" { f = 1; next }
		f && /- (alert|record):/ { exit }
		f && /runbook_url:/ { print $2; exit }' "$rules")
	check_eq "$a: runbook_url" "dashboards/runbook.md#${a,,}" "$url"
	check "$a: runbook.md has a section #${a,,}" grep -qx "${a,,}" <<<"$anchors"
done
tap_done
