#!/bin/sh
# dom0's /init (busybox sh), put in the initramfs by `cargo qemu`
# (qemu-tests/src/dom0/init.sh). It brings up Xen's toolstack, runs every
# domU case named in /cases/list, prints what happened in the markers that
# qemu-tests/src/dom0/report.rs reads, and ends QEMU. It judges nothing:
# the runner compares each case with what it expects.
#
# /etc/dom0.env (written by the runner) sets TOOLS (Xen's tool directory),
# LD_LIBRARY_PATH, MODULES (in load order) and LIVE (1: print each guest's
# console while it runs instead of at the end).
# A case is the directory /cases/NAME: xl.cfg, timeout (seconds), expect
# (the shutdown reason code it should end with; only to decide whether to
# show `xl dmesg`) and optionally dom0.sh, run beside the guest with DOMID
# and NAME in its environment and the case directory as its working
# directory. Every domain is created with on_* = "preserve": after its
# shutdown it stays until the script is done, then init destroys it.

/bin/busybox --install -s /bin
. /etc/dom0.env
export PATH=/bin:/sbin:/usr/bin:$TOOLS
export LD_LIBRARY_PATH
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm && mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mkdir -p /run/xen /run/xenstored /var/log/xen/console /var/lib/xen

# Ends QEMU. x86: a byte to QEMU's isa-debug-exit (port 0xf4) through
# /dev/port (a PV dom0 kernel has the I/O privilege): QEMU exits
# (byte << 1) | 1, 33 when init ran every case, 35 when it gave up.
# arm64: Xen powers the machine off through PSCI on dom0's poweroff and
# QEMU exits 0; the @@dom0 marker tells the runner how it went.
finish() {
    sync
    [ "$(uname -m)" = aarch64 ] && poweroff -f
    if [ "$1" = done ]; then b='\020'; else b='\021'; fi
    printf "$b" | dd of=/dev/port bs=1 seek=244 count=1 conv=notrunc 2>/dev/null
    # Not reached unless the port write failed: Xen then resets the
    # machine and QEMU (-no-reboot) exits 0, which the runner fails.
    reboot -f
}
give_up() {
    echo "----- dom0 state when init gave up:"
    ps
    ls -l /dev/xen /proc/xen /run/xenstored 2>&1
    dmesg | tail -n 30
    echo "@@dom0 failed $*"
    finish failed
}

for m in $MODULES; do
    insmod /lib/modules/$m.ko || echo "insmod $m failed"
done
mount -t xenfs xenfs /proc/xen || give_up "cannot mount xenfs"

export XENSTORED_ROOTDIR=/run/xenstored
xenstored --pid-file /run/xen/xenstored.pid || give_up "xenstored did not start"
i=0
until xenstore-read -s / >/dev/null 2>&1; do
    i=$((i + 1))
    if [ $i -gt 300 ]; then
        xenstore-read -s /
        give_up "xenstored did not answer within 30 s"
    fi
    sleep 0.1
done
xen-init-dom0 || give_up "xen-init-dom0 failed"
xenconsoled --pid-file /run/xen/xenconsoled.pid --log=guest \
    --log-dir=/var/log/xen/console || give_up "xenconsoled did not start"
echo "@@dom0 up"

# Prints lines $printed+1.. of the guest's console log with its prefix:
# complete lines only, unless $1 is "all".
console_lines() {
    [ -f "$conlog" ] || return 0
    if [ "$1" = all ]; then n=-1; else n=$(wc -l < "$conlog"); fi
    awk -v from="$printed" -v to="$n" -v p="[$d] " \
        'NR > from && (to < 0 || NR <= to) { print p $0 }' "$conlog"
    [ "$n" -ge 0 ] && printed=$n
}

prefixed() {
    awk -v p="[$d:$1] " '{ print p $0 }'
}

run_case() {
    d=$1
    dir=/cases/$d
    out=/tmp/case-$d
    mkdir -p $out
    limit=$(cat $dir/timeout)
    conlog=/var/log/xen/console/guest-$d.log
    xllog=/var/log/xen/xl-$d.log
    printed=0
    trouble=0
    spid=
    src=
    echo "@@domu $d begin"
    # Bounded: a stalled xl create fails this case, not the whole boot.
    timeout $limit xl create $dir/xl.cfg > $out/create 2>&1
    rc=$?
    if [ $rc != 0 ]; then
        echo "@@domu $d create-failed rc=$rc"
        trouble=1
        # A half-built domain must not linger into the next case.
        xl destroy $d > $out/destroy 2>&1
    else
        domid=$(xl domid $d)
        echo "@@domu $d created domid=$domid"
        if [ -f $dir/dom0.sh ]; then
            (cd $dir && DOMID=$domid NAME=$d timeout $limit sh ./dom0.sh \
                > $out/script 2>&1; echo $? > $out/script.rc) &
            spid=$!
        fi
        # Wait for xl's word on the shutdown; every second make sure the
        # domain still exists (xenstore-read is much cheaper than xl).
        read up _ < /proc/uptime
        deadline=$((${up%.*} + limit))
        i=0
        end=
        while [ -z "$end" ]; do
            if grep -q 'has shut down, reason code' $xllog 2>/dev/null; then
                r=$(sed -n 's/.*has shut down, reason code \(-\{0,1\}[0-9]*\).*/\1/p' $xllog | head -n 1)
                end="shutdown reason=$r"
                [ "$r" = "$(cat $dir/expect)" ] || trouble=1
            elif read up _ < /proc/uptime && [ ${up%.*} -ge $deadline ]; then
                end="hung seconds=$limit"
                trouble=1
            elif [ $((i % 10)) = 9 ] && ! xenstore-read /local/domain/$domid/name >/dev/null 2>&1; then
                end=gone
                trouble=1
            else
                [ "$LIVE" = 1 ] && console_lines
                i=$((i + 1))
                sleep 0.1
            fi
        done
        echo "@@domu $d $end"
        if [ -n "$spid" ]; then
            wait $spid
            src=$(cat $out/script.rc 2>/dev/null || echo -1)
            [ "$src" = 0 ] || trouble=1
        fi
        # xenconsoled may still be writing the last output.
        sleep 0.2
        xl destroy $d > $out/destroy 2>&1
    fi
    console_lines all
    if [ -n "$spid" ]; then
        prefixed dom0 < $out/script
        echo "@@domu $d script rc=$src"
    fi
    { cat $out/create; tail -n 30 $xllog 2>/dev/null; cat $out/destroy 2>/dev/null; } | prefixed xl
    [ $trouble = 1 ] && xl dmesg | tail -n 25 | prefixed dmesg
    echo "@@domu $d end"
}

for case in $(cat /cases/list); do
    run_case $case
done
echo "@@dom0 done"
finish done
