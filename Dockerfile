# syntax=docker/dockerfile:1
# Build stage: wheels for the pinned runtime requirements only.
FROM python:3.11-slim AS build
WORKDIR /build
COPY requirements.txt .
RUN pip wheel --no-cache-dir --wheel-dir /wheels -r requirements.txt

# Runtime stage: no compilers, a non-root user, static files collected at build time.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ENVIRONMENT=production \
    GUNICORN_BIND=0.0.0.0:8000
WORKDIR /app
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index /wheels/* && rm -rf /wheels \
    && useradd --create-home --uid 10001 app
COPY --chown=app:app . .
# collectstatic runs the production settings (hashed, compressed files for WhiteNoise); they
# demand their secrets, so it gets placeholders that exist only in this build step.
RUN DJANGO_SECRET_KEY=build-only DJANGO_ALLOWED_HOSTS=build DATABASE_URL=sqlite:////tmp/build \
    REDIS_URL=redis://build RAZORPAY_LIVE_KEY_ID=build RAZORPAY_LIVE_SECRET_KEY=build \
    RAZORPAY_WEBHOOK_SECRET=build python manage.py collectstatic --noinput
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
ENTRYPOINT ["./docker-entrypoint.sh"]
CMD ["gunicorn"]
