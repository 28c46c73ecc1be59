#!/usr/bin/env bash
# A demo board in a temporary folder: a code repository with its board on a branch of its own;
# plan tasks, take the next one, move it through its life, show git log.
set -euo pipefail
tack_binary="${1:?usage: demo.sh PATH-TO-TACK}"
# Run it as plain `tack`, the way a reader would type it.
bin=$(mktemp -d "${TMPDIR:-/tmp}/tack-bin.XXXXXX")
ln -s "$(cd "$(dirname "$tack_binary")" && pwd)/$(basename "$tack_binary")" "$bin/tack"
export PATH="$bin:$PATH"
tack=tack
demo=$(mktemp -d "${TMPDIR:-/tmp}/tack-demo.XXXXXX")
cd "$demo"
run() { printf '\n$ %s\n' "$*"; "$@"; }

git init -q -b main .
git config user.name "Dana Demo"
git config user.email "dana@example.com"
echo "# Shop" > README.md
git add README.md
git commit -q -m "The code"

# The board on a branch of its own, beside the code: the checkout never sees a Tack write.
run "$tack" init --branch tack --board ops
id=$("$tack" add "Deploy v2 to production" --label deploy --priority high --description "Roll out the v2 release.")
printf '\n$ tack add "Deploy v2 to production" --label deploy --priority high\n%s\n' "$id"
run "$tack" add "Announce v2" --label docs --blocked-by "$id"
run "$tack" add "Tidy the changelog" --label docs --priority low
run "$tack" ready
run "$tack" next --lease 1h
run "$tack" note "$id" "Canary is healthy; asking for the go-ahead."
run "$tack" ask "$id" approve_release "Ship v2 to everyone?" --approval
run "$tack" list
run env NO_COLOR=1 COLUMNS=100 "$tack" board
run "$tack" answer "$id" approve_release=yes
run "$tack" show "$id"
run "$tack" move "$id" working || echo "(refused, as it should be: completed is terminal)"
run "$tack" ready
run "$tack" log "$id"
run git log tack --format='%h %an: %s' -n 8
run git status --short
echo
echo "The demo board is in $demo"
echo "To see it in a browser: (cd $demo && $tack serve) and open the URL it prints first."
