#!/bin/sh
# Test pipe alias target: stores the message from stdin, as is, in the file
# given as the only argument (written next to it first, then renamed, so a
# reader never sees half a message).
set -eu
out="$1"
cat > "$out.tmp"
mv "$out.tmp" "$out"
