# Sourced by scripts/test: the system programs some tests drive (curl, headless Chromium and its
# driver for the dashboard, redis-server for several workers, haproxy for the compose file's
# balancer). Installed with apt-get when this
# runs as root on Debian; elsewhere those tests say they are skipped and why.
need=()
command -v curl >/dev/null || need+=(curl)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
command -v redis-server >/dev/null || need+=(redis-server)
command -v haproxy >/dev/null || need+=(haproxy)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing ${need[*]} (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "note: ${need[*]} missing; the tests that need them will be skipped" >&2
  fi
fi
