#!/bin/sh
# tests/tools/manpage.sh - the man page and --help name the same options.
#
#   sh tests/tools/manpage.sh TRAPVISOR MANPAGE
#
# TRAPVISOR is the binary (its trapvisor-qemu beside it); MANPAGE the roff
# source (docs/trapvisor.1).  The options of `trapvisor --help' (its
# option column: the lines that begin with two spaces and a dash) must be
# the items (.TP) of the man page's OPTIONS section, and those of
# `trapvisor-qemu --help' the items of its QEMU COMMAND LINE section; an
# item of the man page that neither --help mentions is an error too.
# Prints one line per difference; exit status 1 if there is any.
set -u
TV=$1 MAN=$2
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT

# The option column of a --help text, one option a line.
help_options() {
	awk '/^  -/ {
		col = substr($0, 3); sub(/   .*/, "", col)
		n = split(col, item, /, /)
		for (i = 1; i <= n; i++) {
			split(item[i], w, /[ =\[]/)
			if (w[1] ~ /^-/) print w[1]
		}
	}' | sort -u
}

# The options named by the .TP items of one section of the man page.
man_options() { # section-title
	awk -v sect="$1" '
	/^\.SH / { on = (substr($0, 5) == sect || substr($0, 5) == "\"" sect "\"") }
	on && item { item = 0
		line = $0
		gsub(/\\f[BIRP]/, "", line); gsub(/\\-/, "-", line)
		gsub(/"/, " ", line); sub(/^\.[A-Z]+ /, "", line)
		n = split(line, w, /[ =\[|,]+/)
		for (i = 1; i <= n; i++) if (w[i] ~ /^-[-a-zA-Z]/) print w[i]
	}
	on && /^\.TP/ { item = 1 }' "$MAN" | sort -u
}

bad=0
differ() { # what-in-a what-not-in-b file-a file-b
	comm -23 "$3" "$4" | while read -r o; do
		echo "manpage: $o: $1 but not $2"
	done | tee -a "$T/bad"
}

"$TV" --help | help_options >"$T/help"
man_options OPTIONS >"$T/man"
differ "in trapvisor --help" "in $MAN (OPTIONS)" "$T/help" "$T/man"
differ "in $MAN (OPTIONS)" "in trapvisor --help" "$T/man" "$T/help"

"$(dirname "$TV")/trapvisor-qemu" --help >"$T/qhelp.txt"
help_options <"$T/qhelp.txt" >"$T/qhelp"
man_options "QEMU COMMAND LINE" >"$T/qman"
differ "in trapvisor-qemu --help" "in $MAN (QEMU COMMAND LINE)" \
	"$T/qhelp" "$T/qman"
# the man page may name options that --help gives in its prose (-version)
grep -o -- '-[-a-zA-Z][-a-z]*' "$T/qhelp.txt" | sort -u >"$T/qwords"
differ "in $MAN (QEMU COMMAND LINE)" "in trapvisor-qemu --help" \
	"$T/qman" "$T/qwords"

[ -s "$T/man" ] && [ -s "$T/qman" ] ||
	{ echo "manpage: no options found in $MAN" | tee -a "$T/bad"; }
[ ! -s "$T/bad" ] || bad=1
[ $bad = 0 ] && echo "manpage: $(wc -l <"$T/help") trapvisor options and" \
	"$(wc -l <"$T/qhelp") trapvisor-qemu options, in both"
exit $bad
