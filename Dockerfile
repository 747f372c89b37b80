FROM python:3.11-slim
WORKDIR /app
COPY setup.cfg setup.py README.md ./
COPY mapdash mapdash
COPY sql sql
COPY static static
COPY templates templates
RUN pip install --no-cache-dir . && useradd --system --home /app mapdash \
    && mkdir -p /var/lib/mapdash/photos /var/lib/mapdash/documents \
    && chown mapdash /var/lib/mapdash/photos /var/lib/mapdash/documents
USER mapdash
ENV PHOTO_DIR=/var/lib/mapdash/photos DOCUMENT_DIR=/var/lib/mapdash/documents MAPDASH_VAR=/var/lib/mapdash
EXPOSE 8000
# gthread: each open dispatcher screen (a live stream, /api/dispatch/stream) holds a thread,
# so 2 processes x 1,100 threads hold 2,000 screens with room for ordinary requests;
# --worker-connections a little above --threads: idle keep-alive connections wait in the
# poller without a thread (gunicorn turns keep-alive off when it is not above --threads).
# --keep-alive 10: while its stream is down the dispatcher's map asks every 3 s; gunicorn's
# default of 2 s closed the connection between polls. Override with GUNICORN_CMD_ARGS.
ENV GUNICORN_CMD_ARGS="--workers 2 --worker-class gthread --threads 1100 --worker-connections 1300 --keep-alive 10"
CMD ["sh", "-c", "mapdash db upgrade && exec gunicorn --bind 0.0.0.0:8000 'mapdash:create_app()'"]
