#!/bin/sh
# Test MDA: stores the message from stdin as one file per delivery under
# $MAILDIR_ROOT (the directory next to this config dir) / <recipient>/.
# Exits 75 for recipients named tempfail@ and 1 for permfail@, to exercise
# the queue's handling of MDA results.
set -eu
to="$1"
case "$to" in
  tempfail@*) echo "try later" ; exit 75 ;;
  permfail@*) echo "no such mailbox" ; exit 1 ;;
esac
dir="$(pwd)/../mail/$to"
mkdir -p "$dir"
name="$(date +%s%N).$$"
cat > "$dir/.$name"
mv "$dir/.$name" "$dir/$name"
