# The lab's one persistent kernel source tree (sourced after lab/cache.sh).
#
# $src_dir is a git repo of Debian's linux-source tarball, committed once and
# tagged "base".  The series is turned into commits on top of base without
# touching the work tree (git apply --cached on a scratch index), and the
# tree is then moved to the wanted commit with "git checkout -f": git only
# rewrites files whose content differs, so every other file keeps its
# timestamp and the O= build in $obj_dir stays incremental across keys.

_git() { git -C "$src_dir" -c user.name=kvmscope-lab -c user.email=lab@kvmscope.invalid "$@"; }

# Extract the line's source package and commit it as "base", once per
# version: a tree of another version (lab/versions.sh changed) is replaced.
tree_init() {
	local version want_msg deb tmp t0=$SECONDS pkg=linux-source-$line
	version=$(line_source_version) || exit 1
	want_msg="$pkg $version"
	if _git rev-parse -q --verify refs/tags/base >/dev/null 2>&1; then
		[ "$(_git log -1 --format=%s base)" != "$want_msg" ] || return 0
		say "$src_dir holds $(_git log -1 --format=%s base), not $version: replacing it"
	fi
	deb=$(fetch_deb "$pkg" "$version") || exit 1
	tmp=$cache_root/src/.extract.$$
	rm -rf "$cache_root/src/".extract.* "$src_dir"
	mkdir -p "$tmp"
	say "extracting $pkg $version into $src_dir (once, ~1 min)"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$pkg.tar.xz" | tar -xJ -C "$tmp" ||
		die "extracting $pkg.tar.xz from $deb failed"
	[ -f "$tmp/$pkg/Makefile" ] || die "$deb has no $pkg/ directory in its tarball"
	mv "$tmp/$pkg" "$src_dir"
	rmdir "$tmp"
	say "committing the pristine source as tag 'base' (once, ~1 min)"
	_git init -q
	_git config gc.auto 0
	# Debian's top-level .gitignore ends in "/*": add everything regardless.
	_git add -f . && _git commit -q -m "$want_msg" &&
		_git tag base || die "committing the base source tree failed"
	say "source tree ready in $(fmt_secs $((SECONDS - t0)))"
}

# Print one commit per series patch, each on top of the previous one and the
# first on base.  A patch that does not apply is reported with git's error
# and the log path.
tree_series_commits() {
	local tmp log parent tree commit patch n=0
	tmp=$(mktemp -d)
	log=$log_dir/apply-$(date +%Y%m%d-%H%M%S).log
	mkdir -p "$log_dir"
	export GIT_INDEX_FILE=$tmp/index
	_git read-tree base
	parent=$(_git rev-parse 'base^{commit}')
	for patch in $(series_patches); do
		n=$((n + 1))
		git mailinfo -u "$tmp/msg" "$tmp/diff" <"$patch" >"$tmp/info"
		if ! _git apply --cached "$tmp/diff" >"$log" 2>&1; then
			unset GIT_INDEX_FILE
			say "patch $n (${patch##*/}) does not apply on linux-source-$line $(line_source_version) + patches 1..$((n - 1)):"
			sed 's/^/    /' "$log" >&2
			rm -rf "$tmp"
			die "applying the series failed at ${patch##*/} (log: $log)"
		fi
		tree=$(_git write-tree)
		commit=$(
			GIT_AUTHOR_NAME=$(sed -n 's/^Author: //p' "$tmp/info") \
			GIT_AUTHOR_EMAIL=$(sed -n 's/^Email: //p' "$tmp/info") \
			GIT_AUTHOR_DATE=$(sed -n 's/^Date: //p' "$tmp/info") \
			GIT_COMMITTER_DATE=$(sed -n 's/^Date: //p' "$tmp/info") \
			_git commit-tree "$tree" -p "$parent" \
				-m "$(sed -n 's/^Subject: //p' "$tmp/info")" -F "$tmp/msg"
		)
		echo "$commit"
		parent=$commit
	done
	unset GIT_INDEX_FILE
	rm -rf "$tmp" "$log"
}

# Make the work tree exactly COMMIT (rewriting only what differs) and drop
# anything untracked: builds happen in $obj_dir, never in the tree.
tree_checkout() {
	_git checkout -q -f --detach "$1" && _git clean -fdxq ||
		die "checking out $1 in $src_dir failed"
}

# The pristine source, for the unpatched kernel (build-kernel.sh
# --unpatched).  Its one "commit" is base, in $tree_commits.
tree_prepare_base() {
	tree_init
	tree_commits=("$(_git rev-parse 'base^{commit}')")
	tree_checkout "${tree_commits[0]}"
}

# Prepare the tree for the current series: init, commit, check out the last
# patch.  Prints nothing; the series' commits are in $tree_commits (base
# alone for a line without patches).
tree_prepare() {
	local out
	tree_init
	out=$(tree_series_commits) || exit 1
	[ -n "$out" ] || { tree_prepare_base; return; }
	mapfile -t tree_commits <<<"$out"
	tree_checkout "${tree_commits[-1]}"
}
