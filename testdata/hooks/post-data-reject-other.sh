#!/bin/sh
# post-data hook: temporary rejection (any exit but 0 and 20), with a line
# that has no enhanced code, so chaski puts 4.3.0 in front.
cat > /dev/null
echo "Greylisted, please try again later"
exit 75
