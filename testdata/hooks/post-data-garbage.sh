#!/bin/sh
# post-data hook: exits 0 with output that is not header-shaped (a blank
# line and no final newline); chaski ignores it and accepts the mail.
cat > /dev/null
echo "this is not a header"
echo ""
printf "trailing text"
