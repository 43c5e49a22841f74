# A stand-in for redis:7-alpine where no registry is reachable: Debian's redis-server (7.0).
FROM python:3.11-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends redis-server \
    && rm -rf /var/lib/apt/lists/*
EXPOSE 6379
CMD ["redis-server", "--protected-mode", "no"]
