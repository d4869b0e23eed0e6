#!/usr/bin/env bash
# The Debian package as an operator installs it: cpack builds the .deb from the build tree, it is
# unpacked in a scratch root (dpkg -x), and its layout, control data, config, unit and
# sysusers/tmpfiles snippets are checked with the tools that will read them.
#   tests/ops/package_test.sh BUILD_DIR
set -euo pipefail
build_dir="$(cd "$1" && pwd)"
work="$(mktemp -d /tmp/ticketd-package.XXXXXX)"
trap 'rm -rf "$work"' EXIT
fail() { echo "package_test: $*" >&2; exit 1; }

cpack -G DEB -B "$work/out" --config "$build_dir/CPackConfig.cmake" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log" >&2; fail "cpack -G DEB failed"; }
deb="$(ls "$work"/out/ticketd_*.deb 2>/dev/null | head -1)"
[ -n "$deb" ] || fail "no ticketd_*.deb in $work/out: $(ls "$work/out")"

# Control data: dependencies found by dpkg-shlibdeps plus redis-server; the config is a conffile.
depends="$(dpkg-deb -f "$deb" Depends)"
for dep in redis-server libhiredis libyaml-cpp libsystemd0 libc6; do
  grep -q "$dep" <<<"$depends" || fail "Depends lacks $dep: $depends"
done
# A daemon linked with jemalloc (every build but the sanitizers') needs its library too.
if ldd "$build_dir/daemon/ticketd" | grep -q libjemalloc; then
  grep -q libjemalloc2 <<<"$depends" || fail "Depends lacks libjemalloc2: $depends"
fi
dpkg-deb -e "$deb" "$work/control"
grep -qx /etc/ticketd/ticketd.yaml "$work/control/conffiles" || fail "ticketd.yaml is not a conffile"
for script in postinst prerm postrm; do
  [ -x "$work/control/$script" ] || fail "control script $script missing or not executable"
  sh -n "$work/control/$script" || fail "control script $script does not parse"
done

root="$work/root"
dpkg -x "$deb" "$root"
for f in usr/bin/ticketd usr/bin/ticketctl; do
  [ -x "$root/$f" ] || fail "/$f missing or not executable"
done
for f in usr/lib/systemd/system/ticketd.service usr/lib/sysusers.d/ticketd.conf \
         usr/lib/tmpfiles.d/ticketd.conf etc/ticketd/ticketd.yaml usr/share/doc/ticketd/README.md \
         usr/share/doc/ticketd/docs/api.md; do
  [ -f "$root/$f" ] || fail "/$f missing"
done
unexpected="$(cd "$root" && find . -type f | grep -v -E '^\./(usr/bin|usr/lib/systemd/system|usr/lib/sysusers.d|usr/lib/tmpfiles.d|etc/ticketd|usr/share/doc/ticketd)/' || true)"
[ -z "$unexpected" ] || fail "files outside the layout: $unexpected"

# The installed binary accepts the installed config.
"$root/usr/bin/ticketd" --check-config "$root/etc/ticketd/ticketd.yaml" >/dev/null ||
  fail "the packaged ticketd.yaml does not pass --check-config"

# The unit: what the service needs, and systemd's own checks (which need the binary to exist).
unit="$root/usr/lib/systemd/system/ticketd.service"
for line in 'Type=notify' 'WatchdogSec=' 'ExecReload=/bin/kill -HUP $MAINPID' \
            'ExecStartPre=/usr/bin/ticketd --check-config /etc/ticketd/ticketd.yaml' \
            'User=ticketd' 'StateDirectory=ticketd' 'ProtectSystem=strict' 'NoNewPrivileges=yes' \
            'PrivateTmp=yes' 'CapabilityBoundingSet=' 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6'; do
  grep -qF "$line" "$unit" || fail "ticketd.service lacks '$line'"
done
mkdir -p "$work/units"
sed "s#/usr/bin/ticketd#$root/usr/bin/ticketd#g" "$unit" >"$work/units/ticketd.service"
(cd "$work/units" && systemd-analyze verify ticketd.service) || fail "systemd-analyze verify refused the unit"
(cd "$work/units" && systemd-analyze security --offline=yes --threshold=20 ticketd.service >"$work/security.txt") ||
  { tail -3 "$work/security.txt" >&2; fail "the unit's exposure is above 2.0"; }

# sysusers and tmpfiles applied to the scratch root create the user and its directories.
if [ "$(id -u)" -eq 0 ]; then
  systemd-sysusers --root="$root" ticketd.conf
  uid="$(awk -F: '$1 == "ticketd" {print $3}' "$root/etc/passwd")"
  [ -n "$uid" ] || fail "systemd-sysusers did not create the ticketd user"
  systemd-tmpfiles --root="$root" --create ticketd.conf
  [ "$(stat -c '%u %a' "$root/var/lib/ticketd")" = "$uid 750" ] ||
    fail "/var/lib/ticketd is $(stat -c '%u %a' "$root/var/lib/ticketd"), wanted $uid 750"
  gid="$(awk -F: '$1 == "ticketd" {print $3}' "$root/etc/group")"
  [ "$(stat -c '%g %a' "$root/etc/ticketd/ticketd.yaml")" = "$gid 640" ] ||
    fail "/etc/ticketd/ticketd.yaml is $(stat -c '%g %a' "$root/etc/ticketd/ticketd.yaml"), wanted group $gid mode 640"
else
  echo "package_test: not root: sysusers/tmpfiles not applied to the scratch root"
fi
echo "package_test: $(basename "$deb") ok"
