# KAM web / worker / beat image (one image, three commands: see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
# Hashed, compressed static files for WhiteNoise; no database or secret is needed for this.
RUN DEBUG=1 python manage.py collectstatic --noinput \
    && useradd --create-home --uid 1000 kam \
    && mkdir -p /app/var && chown -R kam /app/var

USER kam
EXPOSE 8000
CMD ["gunicorn", "kam.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
