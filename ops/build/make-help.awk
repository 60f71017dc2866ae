# `make help`, from the Makefile's annotations. A target's text follows `## ` on its rule line; a
# variable's is the `## ` line right above its `?=`. Every target named like a command (help,
# build-lambda, print-%) and every variable a user may set (`?=`) is listed: one without its text
# fails, naming it, so that nothing can be added to the Makefile without its line in help.
# With -v list=variables it prints the variables' names only, for make to pass their values in
# the environment as HELP_<name>.

function missing(what) {
  printf "make help: %s has no ## text (%s:%d)\n", what, FILENAME, FNR > "/dev/stderr"
  failed = 1
}

/^## / {
  doc = substr($0, 4)
  next
}

/^(export )?[A-Z][A-Z0-9_]* \?=/ {
  name = $1 == "export" ? $2 : $1
  if (list == "variables") print name
  else if (doc == "") missing("variable " name)
  else {
    variables[++variable_count] = name
    variable_docs[name] = doc
  }
  doc = ""
  next
}

list != "variables" && /^[a-z][a-z0-9%-]*:([^=]|$)/ {
  target = substr($0, 1, index($0, ":") - 1)
  at = index($0, " ## ")
  if (at == 0) missing("target " target)
  else {
    targets[++target_count] = target
    target_docs[target] = substr($0, at + 4)
  }
}

{ doc = "" }

END {
  if (list == "variables") exit 0
  if (failed) exit 1
  for (i = 1; i <= target_count; i++) printf "  make %-18s %s\n", targets[i], target_docs[targets[i]]
  print ""
  print "Variables (make VAR=value target); the value shown is the default or what you set:"
  for (i = 1; i <= variable_count; i++) {
    name = variables[i]
    printf "  %-18s %-22s  %s\n", name, ENVIRON["HELP_" name], variable_docs[name]
  }
}
