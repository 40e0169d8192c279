# cardgraph API and worker image. WeasyPrint needs Pango and fonts from the OS.
FROM python:3.11-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md requirements.lock ./
COPY src ./src
COPY workers ./workers
# Exactly the locked runtime set, each file checked against its hash; then cardgraph alone.
RUN pip install --no-cache-dir --require-hashes -r requirements.lock \
    && pip install --no-cache-dir --no-deps . \
    && pip check

# The data directory exists in the image, owned by the service's user, so named volumes
# mounted at its artifacts/ and signing/ (docker-compose.yml: shared by the API and the
# workers) start out writable by that user.
RUN useradd --system --uid 10001 --home-dir /app cardgraph \
    && mkdir -p /var/lib/cardgraph/artifacts /var/lib/cardgraph/signing \
    && chown -R cardgraph /var/lib/cardgraph
USER cardgraph

ENV CARDGRAPH_HOST=0.0.0.0 \
    CARDGRAPH_PORT=8000 \
    CARDGRAPH_DATA_DIR=/var/lib/cardgraph
EXPOSE 8000
CMD ["cardgraph", "serve"]
