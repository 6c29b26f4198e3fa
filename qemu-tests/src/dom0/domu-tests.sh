# dom0's side of examples/domu-tests.rs (qemu-tests/src/dom0/domu-tests.sh),
# run by init beside the guest with DOMID and NAME set, in the case's
# directory. Each check prints `check NAME ok` or `check NAME FAILED: why`
# (the runner reads them: every check the case names must be there and
# ok) and the script exits 0 only if all passed. The guest's answers are
# read with xenstore-read; its domain is kept after it shuts down, so a
# value written just before is still there.
#
# With ./domu-peer beside it (the cases on libxenevtchn and libxengnttab),
# that program runs alongside and its checks count too.

d=/local/domain/$DOMID
failed=0

check() {
    if [ "$2" = ok ]; then
        echo "check $1 ok"
    else
        echo "check $1 FAILED: $2"
        failed=1
    fi
}

# The value at $1 once the guest has written it (up to 60 s).
wait_key() {
    i=0
    until v=$(xenstore-read "$1" 2>/dev/null); do
        i=$((i + 1))
        [ $i -gt 600 ] && return 1
        sleep 0.1
    done
    printf '%s\n' "$v"
}

random() {
    od -An -N8 -tx1 /dev/urandom | tr -d ' \n'
}

if [ -x ./domu-peer ]; then
    (./domu-peer "$DOMID" > peer.out 2>&1; echo $? > peer.rc) &
    peer=$!
fi

# What the guest read as its own domid and name.
seen_id=$(wait_key $d/data/seen/domid)
seen_name=$(wait_key $d/data/seen/name)
if [ "$seen_id" = "$DOMID" ] && [ "$seen_name" = "$NAME" ]; then
    check guest_read_its_domid_and_name ok
else
    check guest_read_its_domid_and_name "guest read domid '$seen_id' name '$seen_name', domain is $DOMID '$NAME'"
fi

# A key the guest watches, written once it says it watches; its answer
# is derived from this random challenge, so it cannot match by accident.
challenge=challenge-$(random)
if wait_key $d/data/poke-ready > /dev/null; then
    xenstore-write $d/data/dom0-poke "$challenge"
    response=$(wait_key $d/data/response)
    if [ "$response" = "answer-$challenge" ]; then
        check guest_answered_under_data ok
    else
        check guest_answered_under_data "wrote '$challenge', read back '$response'"
    fi
else
    check guest_answered_under_data "the guest never set its watch (no data/poke-ready)"
fi

# A line typed into the console's pty, read back from the guest.
typed=typed-$(random)
if wait_key $d/data/console-ready > /dev/null; then
    tty=$(xenstore-read $d/console/tty)
    echo "typing '$typed' into $tty"
    printf '%s\n' "$typed" > "$tty"
    line=$(wait_key $d/data/console-line)
    if [ "$line" = "$typed" ]; then
        check guest_read_the_typed_line ok
    else
        check guest_read_the_typed_line "typed '$typed' into $tty, the guest read '$line'"
    fi
else
    check guest_read_the_typed_line "the guest never said it reads (no data/console-ready)"
fi

if [ -n "$peer" ]; then
    wait $peer
    cat peer.out
    rc=$(cat peer.rc)
    [ "$rc" = 0 ] || { echo "domu-peer exited $rc"; failed=1; }
fi
exit $failed
