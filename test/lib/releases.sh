# The commits the released versions shipped from, for the tests that build a
# released library (sourced). A copy of the tree without git history (the
# matrix chroots) finds each as $COWRIE_RELEASES/COMMIT.tar instead.
RELEASE_1_1=72f958c
RELEASE_1_2=bf3ba2e

# release_tree COMMIT DIR: that commit's files into DIR.
release_tree() {
	mkdir -p "$2" || return 1
	if git cat-file -e "$1^{commit}" 2>/dev/null; then
		git archive "$1" | tar -x -C "$2"
	elif [ -f "${COWRIE_RELEASES:-/nonexistent}/$1.tar" ]; then
		tar -x -C "$2" -f "$COWRIE_RELEASES/$1.tar"
	else
		echo "release $1: not in this repository's history, and no \$COWRIE_RELEASES/$1.tar" >&2
		return 1
	fi
}
