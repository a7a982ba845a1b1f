# scripts/tour.awk - read one tour stop: its prose and the definition it
# narrates (scripts/tour.sh explains the format and calls this).
#
#   awk -v start=LINE -v mode=print|prose|check [-v number=NNN] \
#       [-v path=FILE] -f scripts/tour.awk FILE
#
# mode=check prints one line "name<TAB>first<TAB>last" (the definition's
# name and lines), or "error<TAB>why" when the stop is malformed.
# mode=print prints the prose, then the definition, tabs expanded and
# indented by four columns; mode=prose prints the prose only.

function fail(why) {
	if (mode == "check")
		printf "error\t%s\n", why
	else
		printf "tour: %s:%d: %s\n", path, start, why > "/dev/stderr"
	failed = 1
	exit 1
}

# The line with tabs expanded to 8 columns, for a pager.
function untab(s,    out, i, c) {
	out = ""
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (c == "\t")
			do out = out " "; while (length(out) % 8)
		else
			out = out c
	}
	return out
}

# The line without comments, strings and character constants, so that
# braces and semicolons in them are not counted.  in_comment carries a
# comment that goes on over the next lines.
function code_only(s,    out, i, c, d, q) {
	out = ""
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1); d = substr(s, i, 2)
		if (in_comment) {
			if (d == "*/") { in_comment = 0; i++ }
			continue
		}
		if (d == "/*") { in_comment = 1; i++; continue }
		if (d == "//") break
		if (c == "\"" || c == "'") {
			q = c
			for (i++; i <= length(s); i++) {
				c = substr(s, i, 1)
				if (c == "\\") i++
				else if (c == q) break
			}
			out = out " "
			continue
		}
		out = out c
	}
	return out
}

# The name a definition head defines: "struct vcpu" for a structure (union,
# enum), else the identifier just before the first "(", "[", "=" or "{":
# "vm_run" for a function, "pg_table" for a table.
function c_name(head,    kw, s, p, cut, i) {
	s = head
	sub(/^[ \t]*typedef[ \t]+/, "", s)
	if (match(s, /^[ \t]*(struct|union|enum)[ \t]+[A-Za-z_][A-Za-z0-9_]*[ \t]*\{/)) {
		s = substr(s, RSTART, RLENGTH)
		sub(/[ \t]*\{$/, "", s); sub(/^[ \t]*/, "", s)
		gsub(/[ \t]+/, " ", s)
		return s
	}
	cut = 0
	for (i = 1; i <= length(s); i++) {
		p = substr(s, i, 1)
		if (p == "(" || p == "[" || p == "=" || p == "{") { cut = i; break }
	}
	if (!cut)
		return ""
	s = substr(s, 1, cut - 1)
	sub(/[ \t]+$/, "", s)
	if (!match(s, /[A-Za-z_][A-Za-z0-9_]*$/))
		return ""
	return substr(s, RSTART, RLENGTH)
}

# Count the braces of the definition's code; the brace that closes the
# first one ends it.  The text before that first brace is its head.
function scan(code,    i, c) {
	for (i = 1; i <= length(code); i++) {
		c = substr(code, i, 1)
		if (!opened) head = head c
		if (c == "{") { depth++; opened = 1 }
		else if (c == "}") depth--
		else if (c == ";" && !opened)
			fail("a declaration, not a definition, follows the stop")
		if (opened && depth == 0) { last = NR; done = 1; exit 0 }
	}
	if (!opened) head = head " "
}

function emit(s) {
	if (mode == "print")
		print (s ~ /^[ \t]*$/ ? "" : "    " untab(s))
}

BEGIN {
	state = 0          # 0 prose, 1 after the prose, 2 in the definition
	asm = (path ~ /\.S$/)
	nprose = 0
	if (mode != "check" && mode != "print" && mode != "prose")
		fail("mode must be print, prose or check")
}

NR < start { next }

# The stop's comment: its text without the comment's frame.
state == 0 {
	s = $0
	if (NR == start) {
		if (!sub(/^[ \t]*\/\*T:[0-9][0-9][0-9]([ \t]+|$)/, "", s))
			fail("a stop begins \"/*T:NNN \" (three digits, then a space)")
	} else {
		sub(/^[ \t]*\*( |$)/, "", s)
		if (s ~ /^\/[ \t]*$/)  # the line was only "*/"
			s = "*/"
	}
	if ((k = index(s, "*/"))) {
		if (substr(s, k + 2) !~ /^[ \t]*$/)
			fail("text after the stop's closing */")
		s = substr(s, 1, k - 1)
		state = 1
	}
	sub(/[ \t]+$/, "", s)
	prose[++nprose] = s
	if (state == 1) {
		while (nprose > 0 && prose[nprose] == "") nprose--
		if (nprose == 0)
			fail("the stop has no prose")
		if (mode != "check")
			for (i = 1; i <= nprose; i++)
				print prose[i]
		if (mode == "prose")
			exit 0
		if (mode == "print")
			print ""
		first = NR + 1
	}
	next
}

# Between the prose and the definition: nothing but further comments
# (a contract comment) and, in assembly, directives and #defines.
state == 1 && asm && /^[ \t]*$/ {
	emit("")             # a note and a section directive may come first
	next
}
state == 1 && /^[ \t]*$/ {
	fail("a blank line between the stop and the definition it narrates")
}
state == 1 && !asm && !in_comment && /^#/ {
	fail("a preprocessor line between the stop and its definition")
}
state == 1 && asm {
	emit($0)
	last = NR
	if (match($0, /^[A-Za-z_.][A-Za-z0-9_.$]*:/)) {
		name = substr($0, 1, RLENGTH - 1)
		state = 2
	}
	next
}
state == 1 {
	emit($0)
	code = code_only($0)
	if (code ~ /^[ \t]*$/)
		next                 # a comment line
	state = 2
	head = ""
	depth = 0; opened = 0
	scan(code)
	next
}
state == 2 && asm {
	# A blank line and then something at the left margin other than a
	# numeric local label ("1:") ends a piece of assembly.
	if (blank && $0 ~ /^[^ \t0-9]/) { done = 1; exit 0 }
	if ($0 ~ /^[ \t]*$/) { blank++; next }
	for (; blank > 0; blank--) emit("")
	emit($0)
	last = NR
	next
}
state == 2 {
	emit($0)
	scan(code_only($0))
	next
}

END {
	if (failed)
		exit 1
	if (state == 0)
		fail("the stop's comment is never closed")
	if (state == 1 && mode != "prose")
		fail("no definition follows the stop")
	if (mode == "prose")
		exit 0
	if (asm && state == 2)
		done = 1     # the file ended the assembly
	if (!done)
		fail("the definition after the stop never closes its brace")
	if (!asm)
		name = c_name(head)
	if (name == "")
		fail("cannot tell what the definition after the stop defines")
	if (mode == "check")
		printf "%s\t%d\t%d\n", name, first, last
}
