#!/bin/sh
# post-data hook: permanent rejection (exit 20). Only the last line of
# stdout becomes the reply; it carries its own enhanced code.
cat > /dev/null
echo "scanning"
echo "5.7.1 Spam score too high"
echo "this is on stderr" >&2
exit 20
