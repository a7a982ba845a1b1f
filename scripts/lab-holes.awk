# scripts/lab-holes.awk - one file's regions of one lab become holes.
#
#   awk -v lab=N -v doc=labs/NN-name/README.md -f lab-holes.awk FILE
#
# Used by scripts/lab-skeleton.sh, which explains the markers.  A C hole's
# statements are printed one to a line (the (void) casts that keep
# -Wunused quiet share one), indented like the BEGIN marker.

function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }

# The comment delimiters of a marker line: C, HTML/markdown or shell.
function style(line) {
	if (line ~ /\/\*/) { c_open = "/*"; c_close = " */"; kind = "c" }
	else if (line ~ /<!--/) { c_open = "<!--"; c_close = " -->"; kind = "html" }
	else { c_open = "#"; c_close = ""; kind = "sh" }
}

function strip_close(s) {
	sub(/[ \t]*\*\/[ \t]*$/, "", s)
	sub(/[ \t]*-->[ \t]*$/, "", s)
	return s
}

function emit_hole(text,    n, i, parts, st, voids) {
	if (kind == "c") {
		print indent "/* LAB " lab ": your code here - " desc
		print indent " * (the handout: " doc ") */"
	} else {
		print indent c_open " LAB " lab ": your answer here - " desc " (see " doc ")" c_close
	}
	if (kind != "c") {
		if (text != "")
			print indent text
		return
	}
	n = split(text, parts, /;[ \t]*/)
	voids = ""
	for (i = 1; i <= n; i++) {
		st = trim(parts[i])
		if (st == "")
			continue
		if (st ~ /^\(void\)/) {
			voids = voids (voids == "" ? "" : " ") st ";"
			continue
		}
		if (voids != "") { print indent voids; voids = "" }
		print indent st ";"
	}
	if (voids != "")
		print indent voids
}

BEGIN { begin_re = "LAB " lab " BEGIN"; end_re = "LAB " lab " END"; state = 0 }

state == 0 && index($0, begin_re) {
	style($0)
	indent = $0; sub(/[^ \t].*$/, "", indent)
	desc = $0; sub(/.*BEGIN:?[ \t]*/, "", desc); desc = strip_close(desc)
	state = 1
	next
}

state == 1 && index($0, end_re) {
	hole = ""
	if (index($0, "hole:")) {
		hole = $0; sub(/.*hole:[ \t]*/, "", hole)
	}
	if ((kind == "c" && $0 !~ /\*\/[ \t]*$/) ||
	    (kind == "html" && $0 !~ /-->[ \t]*$/)) {
		state = 2 # the hole goes on over more lines
		next
	}
	emit_hole(strip_close(hole))
	state = 0
	next
}

state == 2 {
	line = $0; sub(/^[ \t]*\*?[ \t]*/, "", line)
	hole = hole " " line
	if ((kind == "c" && $0 ~ /\*\/[ \t]*$/) ||
	    (kind == "html" && $0 ~ /-->[ \t]*$/)) {
		emit_hole(trim(strip_close(hole)))
		state = 0
	}
	next
}

state == 1 { next }
{ print }

END {
	if (state != 0) {
		print "lab-holes.awk: " FILENAME ": LAB " lab " BEGIN without END" > "/dev/stderr"
		exit 1
	}
}
