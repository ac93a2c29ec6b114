#!/usr/bin/env bash
# The man pages and bash completion against the tools' own --help, so an
# option added to a tool and forgotten in either fails here:
#  - every option --help lists is in the man page's OPTIONS, with the same
#    kind of argument (none, required, optional), and nothing else is;
#  - each page renders with groff -ww and man -l without a warning and has
#    the sections an operator looks for;
#  - the completion offers exactly the --help options, the subcommands of
#    the usage line, and values the tool accepts (sort keys, listen
#    addresses, VMM PIDs, users, files), "--opt=value" forms included.
# Needs no BPF and no root (the VMM PID check skips without /dev/kvm).
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh

tools="tdx-trace hvflush-top kvmscope-exporter"
tmp=$(mktemp -d /tmp/kvmscope-man-test.XXXXXX)
kvm_pid=
trap '[ -z "$kvm_pid" ] || kill "$kvm_pid"; rm -rf "$tmp"' EXIT

targets=()
for t in $tools; do targets+=("build/$t" "build/man/$t.8"); done
if ! log=$(make -s "${targets[@]}" 2>&1); then
	not_ok "build the tools and man pages" "$log"
	tap_done
	exit 1
fi
ok "build the tools and man pages"

# opt_entries: argp's option lines (or a man page's OPTIONS tags) on
# stdin, one "NAME KIND DESCRIPTION" line per option name out: KIND is
# "-" (no argument), "=" (required) or "[=]" (optional); DESCRIPTION is
# the entry's text, on the tag's line or the next.  An option line is
# "  -x, --long=ARG   text" or "      --long  text": the option column
# ends at two spaces.
opt_entries() {
	awk '
	function flush() {
		if (col == "")
			return
		kind = col ~ /\[/ ? "[=]" : (col ~ /=|^-[^-,] [A-Z]/ ? "=" : "-")
		rest = col
		while (match(rest, /(^|, )(--[^ ,=[]+|-[^ ,=[-])/)) {
			name = substr(rest, RSTART, RLENGTH)
			sub(/^, /, "", name)
			print name, kind, desc
			rest = substr(rest, RSTART + RLENGTH)
		}
		col = ""
	}
	/^  -[^- ]|^      --[^ -]|^  --[^ -]/ {
		flush()
		line = $0
		sub(/^ +/, "", line)
		col = line
		sub(/  .*/, "", col)
		desc = substr(line, length(col) + 1)
		sub(/^ +/, "", desc)
		if (desc == "")
			want_desc = 1
		next
	}
	want_desc { desc = $0; sub(/^ +/, "", desc); want_desc = 0 }
	{ flush() }
	END { flush() }'
}

# The "NAME KIND" pairs of a tool's --help, sorted.
help_opts() { "build/$1" --help | opt_entries | cut -d' ' -f1,2 | sort; }

# A man page as a user reads it: plain ASCII, lines long enough that no
# option tag wraps.
man_text() { LC_ALL=C MANWIDTH=200 man -l "build/man/$1.8" 2>&1; }

# The "NAME KIND" pairs of the man page's OPTIONS section, sorted.
man_opts() {
	man_text "$1" | awk '/^OPTIONS$/ { in_opts = 1; next }
			     /^[A-Z]/ { in_opts = 0 }
			     in_opts && /^       -/' |
		sed 's/^ \{5\}//' | opt_entries | cut -d' ' -f1,2 | sort
}

for t in $tools; do
	h=$(help_opts "$t")
	if [ -z "$h" ]; then
		not_ok "$t: options parsed from --help" "$("build/$t" --help 2>&1)"
		continue
	fi
	m=$(man_opts "$t")
	d=$(diff <(echo "$h") <(echo "$m"))
	if [ -z "$d" ]; then
		ok "$t(8) OPTIONS: the $(echo "$h" | wc -l) options of --help, same arguments"
	else
		not_ok "$t(8) OPTIONS match --help (< --help only, > man only)" "$d"
	fi

	err=$(groff -man -Tutf8 -ww -z "build/man/$t.8" 2>&1)
	check_eq "$t(8): groff -man -Tutf8 -ww warnings" "" "$err"
	err=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "build/man/$t.8" 2>&1 >/dev/null)
	check_eq "$t(8): man -l warnings" "" "$err"

	missing=
	for s in NAME SYNOPSIS DESCRIPTION OPTIONS MODES 'EXIT STATUS' \
		 PRIVILEGES FILES EXAMPLES 'SEE ALSO'; do
		man_text "$t" | grep -qx "$s" || missing+=" '$s'"
	done
	check_eq "$t(8): sections an operator looks for missing" "" "$missing"
	man_text "$t" | grep -q "^ *$t - ..." &&
		ok "$t(8): NAME line" || not_ok "$t(8): NAME line" "$(man_text "$t" | head -5)"
done

# complete TOOL WORD...: COMPREPLY, one per line, sorted, for the command
# line TOOL WORD... with the cursor in the last word, as bash builds it
# (COMP_WORDS, COMP_CWORD; "=" its own word as COMP_WORDBREAKS makes it),
# from the completion file alone in a fresh shell.
complete_words() {
	local tool=$1
	shift
	bash --norc --noprofile -c '
		. "completion/$1" || exit 1
		COMP_WORDS=("${@:2}")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="${COMP_WORDS[*]}" COMP_POINT=${#COMP_LINE}
		f=$(complete -p "$1" | sed -n "s/.* -F \([^ ]*\) .*/\1/p")
		"$f" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}"' _ "$tool" "$tool" "$@" | sed '/^$/d' | sort
}

# Compare two newline lists (order ignored).
check_set() {  # check_set "what" expected actual
	local d
	d=$(diff <(echo "$2" | sed '/^$/d' | sort -u) <(echo "$3" | sed '/^$/d' | sort -u))
	if [ -z "$d" ]; then ok "$1"; else not_ok "$1 (< expected, > offered)" "$d"; fi
}

for t in $tools; do
	check "completion/$t: a complete -F for $t" \
		bash --norc -c ". completion/$t && complete -p $t | grep -q -- ' -F '"
	names=$(help_opts "$t" | cut -d' ' -f1)
	check_set "completion/$t: '$t -' offers the --help options" \
		"$names" "$(complete_words "$t" -)"
	check_set "completion/$t: '$t --' offers the long ones" \
		"$(echo "$names" | grep -- '^--')" "$(complete_words "$t" --)"
	# A value-taking option is followed by a value, never an option list.
	bad=
	for o in $(help_opts "$t" | awk '$2 == "=" { print $1 }'); do
		[[ $(complete_words "$t" "$o" -) != *--* ]] || bad+=" $o"
	done
	check_eq "completion/$t: options offered as a value of" "" "$bad"
done

# tdx-trace: the subcommands of its usage line, first and only first;
# "roles" drops the options --help marks "conversions:".
cmds=$(build/tdx-trace --help | sed -n '1s/.*\[\([a-z|]*|[a-z|]*\)\].*/\1/p' | tr '|' '\n')
if [ -z "$cmds" ]; then
	not_ok "tdx-trace --help: a [cmd|cmd] usage line" "$(build/tdx-trace --help | head -1)"
fi
check_set "completion/tdx-trace: subcommands" "$cmds" "$(complete_words tdx-trace '')"
check_set "completion/tdx-trace: subcommands after an option and its value" \
	"$cmds" "$(complete_words tdx-trace -p 1 '')"
check_set "completion/tdx-trace: subcommand prefix" "roles" "$(complete_words tdx-trace ro)"
check_set "completion/tdx-trace: nothing after the subcommand" "" \
	"$(complete_words tdx-trace roles '')"
for c in $cmds; do
	build/tdx-trace "$c" --help >/dev/null 2>&1 &&
		ok "tdx-trace $c: a command it accepts" ||
		not_ok "tdx-trace $c: a command it accepts"
done
roles_opts=$(build/tdx-trace --help | opt_entries | awk '$3 != "conversions:" { print $1 }')
check_set "completion/tdx-trace: 'roles -' without the conversions-only options" \
	"$roles_opts" "$(complete_words tdx-trace roles -)"

# hvflush-top -s: every key offered is one the tool takes.
keys=$(complete_words hvflush-top -s '')
bad=
for k in $keys; do
	build/hvflush-top -s "$k" --help >/dev/null 2>&1 || bad+=" $k"
done
build/hvflush-top -s nosuchkey --help >/dev/null 2>&1 && bad+=" (nosuchkey accepted: the check checks nothing)"
[ -n "$keys" ] && [ -z "$bad" ] &&
	ok "completion/hvflush-top -s: $(echo $keys) all accepted" ||
	not_ok "completion/hvflush-top -s: keys offered and accepted" "offered: $(echo $keys); refused:$bad"
check_set "completion/hvflush-top --sort=: as \"--sort = p\"" \
	"$(echo "$keys" | grep '^p')" "$(complete_words hvflush-top --sort = p)"
check_set "completion/hvflush-top --sort=p as one word" \
	"$(echo "$keys" | grep '^p' | sed 's/^/--sort=/')" "$(complete_words hvflush-top --sort=p)"

# kvmscope-exporter --listen: every address offered is one it takes.
addrs=$(complete_words kvmscope-exporter --listen '')
bad=
for a in $addrs; do
	build/kvmscope-exporter --listen "$a" --help >/dev/null 2>&1 || bad+=" $a"
done
[ -n "$addrs" ] && [ -z "$bad" ] &&
	ok "completion/kvmscope-exporter --listen: $(echo $addrs) all accepted" ||
	not_ok "completion/kvmscope-exporter --listen: addresses offered and accepted" \
		"offered: $(echo $addrs); refused:$bad"

# --user: users of the user database, never root (refused).
check_set "completion/kvmscope-exporter --user nob" "nobody" \
	"$(complete_words kvmscope-exporter --user nob)"
check_set "completion/kvmscope-exporter --user=nob as one word" "--user=nobody" \
	"$(complete_words kvmscope-exporter --user=nob)"
check_set "completion/kvmscope-exporter --user: root is not offered" "" \
	"$(complete_words kvmscope-exporter --user root | grep -x root)"

# --textfile and --synthetic: files.
mkdir "$tmp/dir"
touch "$tmp/vms.txt" "$tmp/kvmscope.prom"
for o in --textfile --synthetic; do
	check_set "completion/kvmscope-exporter $o: files" \
		"$tmp/kvmscope.prom" "$(complete_words kvmscope-exporter "$o" "$tmp/kv")"
done
check_set "completion/kvmscope-exporter -t: directories on the way" \
	"$tmp/dir" "$(complete_words kvmscope-exporter -t "$tmp/d")"

# -p: the PIDs of processes with /dev/kvm open; this shell has none.
if exec 3</dev/kvm 2>/dev/null; then
	sleep 600 <&3 3<&- &
	kvm_pid=$!
	exec 3<&-
	for t in $tools; do
		pids=$(complete_words "$t" -p '')
		if grep -qx "$kvm_pid" <<<"$pids" && ! grep -qx "$$" <<<"$pids"; then
			ok "completion/$t -p: a VMM's PID, not every PID"
		else
			not_ok "completion/$t -p: $kvm_pid (has /dev/kvm open) and not $$" "$pids"
		fi
		check_set "completion/$t --pid=$kvm_pid as \"--pid = $kvm_pid\"" \
			"$kvm_pid" "$(complete_words "$t" --pid = "$kvm_pid")"
	done
	for t in tdx-trace hvflush-top; do
		grep -qx "kvm-$kvm_pid" <<<"$(complete_words "$t" --vm kvm-)" &&
			ok "completion/$t --vm: the VMM's stats id" ||
			not_ok "completion/$t --vm: kvm-$kvm_pid" "$(complete_words "$t" --vm kvm-)"
	done
else
	echo "# skipping the VMM PID completion: cannot open /dev/kvm"
fi

tap_done
