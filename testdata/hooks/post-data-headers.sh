#!/bin/sh
# post-data hook: accepts and adds headers, one with a continuation line.
# X-Stdin-CRLF tells whether the message arrived with CRLF endings (D-07);
# X-Stdin-First is the first line of the message (our Received header).
cr=$(printf '\r')
msg=$(cat)
case "$msg" in
  *"$cr"*) crlf=yes ;;
  *) crlf=no ;;
esac
first=$(printf '%s\n' "$msg" | head -n 1 | tr -d '\r')
echo "X-Hook: pass"
echo "X-Hook-Folded: one"
echo "  two"
echo "X-Stdin-CRLF: $crlf"
echo "X-Stdin-First: $first"
