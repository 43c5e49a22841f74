# mock-em: a test double of Veeam Backup Enterprise Manager's REST API.
#   docker build -t mock-em .
#   docker run --rm -p 9399:9399 mock-em
# Every setting is a MOCK_EM_* environment variable (see README); fixtures go in /data.
ARG BASE_IMAGE=python:3.11-slim

FROM ${BASE_IMAGE} AS build
WORKDIR /src
RUN python -m venv /opt/mock-em
COPY pyproject.toml README.md ./
COPY mock_em ./mock_em
RUN /opt/mock-em/bin/pip install --no-cache-dir --disable-pip-version-check ".[redis]" \
    && /opt/mock-em/bin/pip uninstall --yes --quiet pip setuptools \
    && /opt/mock-em/bin/python -m compileall -q /opt/mock-em/lib

FROM ${BASE_IMAGE}
LABEL org.opencontainers.image.title="mock-em" \
      org.opencontainers.image.description="A faithful test double of Veeam Backup Enterprise Manager's REST API"
RUN groupadd --system --gid 9399 mockem \
    && useradd --system --uid 9399 --gid mockem --home-dir /data --no-create-home mockem \
    && mkdir -p /data \
    && chown mockem:mockem /data
COPY --from=build /opt/mock-em /opt/mock-em
COPY --chown=mockem:mockem fixtures /opt/mock-em/fixtures
ENV PATH="/opt/mock-em/bin:${PATH}" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MOCK_EM_HOST=0.0.0.0 \
    MOCK_EM_PORT=9399 \
    MOCK_EM_TLS_PORT=9398 \
    MOCK_EM_TLS_DIR=/data/tls
VOLUME ["/data"]
WORKDIR /data
USER 9399:9399
EXPOSE 9399 9398
HEALTHCHECK --interval=2s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/mock/health' % os.environ.get('MOCK_EM_PORT', '9399'), timeout=2)"]
ENTRYPOINT ["mock-em"]
CMD ["serve"]
