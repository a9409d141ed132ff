#!/bin/sh
# post-data hook that never finishes: it starts a child that writes its pid
# to hang.pid in the cwd (the config dir) and waits, so a test can check
# that the timeout killed the whole process group.
sleep 300 &
echo $! > hang.pid
wait
