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
# --keep-alive 10: the dispatcher's map asks for changes every 3 s; gunicorn's default of 2 s
# closed the connection between polls, so nearly every poll connected anew.
CMD ["sh", "-c", "mapdash db upgrade && exec gunicorn --bind 0.0.0.0:8000 --workers 3 --threads 4 --keep-alive 10 'mapdash:create_app()'"]
