#!/bin/sh
# Hook that writes its environment to <cwd>/<name>.env, where name is
# post-data, or envelope-mail / envelope-rcpt for the envelope hook, and
# accepts. Senders at reject-mail.test get exit 20 and recipients named
# greylist@ exit 75, for the envelope hook tests.
cat > /dev/null
if [ -n "${STAGE:-}" ]; then
  case "$STAGE:$MAIL_FROM:$RCPT_TO" in
    mail:*@reject-mail.test:*) echo "5.7.1 Sender blocked by local policy"; exit 20 ;;
    rcpt:*:greylist@*) echo "Greylisted, come back later"; exit 75 ;;
  esac
  env > "envelope-$STAGE.env"
else
  env > "post-data.env"
fi
exit 0
