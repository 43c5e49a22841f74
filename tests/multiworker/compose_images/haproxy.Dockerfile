# A stand-in for haproxy:2.8-alpine where no registry is reachable: Debian's HAProxy (2.6), reading
# its configuration where the official image does.
FROM python:3.11-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends haproxy \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /usr/local/etc/haproxy
CMD ["haproxy", "-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]
