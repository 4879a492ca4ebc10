# syntax=docker/dockerfile:1
# Production image of Hezhang. One image runs every service of docker-compose.yml (web, migrate, worker,
# beat, telemetry); the default command is the web server. See docs/deploy.md.
FROM python:3.11-slim-bookworm

# GeoDjango loads GDAL, GEOS and PROJ through ctypes, so the runtime libraries are enough: no -dev packages
# and no compiler (every Python dependency ships a manylinux wheel). These are Debian 12's versions, the ones
# the test suite runs on (GDAL 3.6.2, GEOS 3.11.1, PROJ 9.1.1; stack-notes). gdal-bin (ogrinfo, ogr2ogr) is
# left out on purpose: nothing in the app runs GDAL's command-line tools, and through python3-gdal it would
# pull Debian's own Python and numpy into the image. SpatiaLite is only for ALLOW_SPATIALITE_IN_PRODUCTION.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libgdal32 libgeos-c1v5 libproj25 libsqlite3-mod-spatialite \
 && rm -rf /var/lib/apt/lists/*

# A writable home of its own: gunicorn (>= 25.1) puts its control socket in $HOME/.gunicorn and logs an
# ERROR at every start when it cannot.
RUN groupadd --system --gid 10001 hezhang \
 && useradd --system --uid 10001 --gid hezhang --create-home --home-dir /home/hezhang \
      --shell /usr/sbin/nologin hezhang

# The code runs from /app (so BASE_DIR is /app, and any non-Python file an app ships stays beside its
# code); PYTHONPATH makes that true for gunicorn, celery and manage.py alike, whatever the working directory.
ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    DJANGO_STATIC_ROOT=/app/var/static \
    DJANGO_MEDIA_ROOT=/app/var/media

WORKDIR /app

# Dependencies first, from pyproject.toml alone (no dev extras), so that a code change does not reinstall
# them: the [project] dependencies are read out of pyproject.toml and installed without the project.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep=chr(10))" \
      > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# Then the project as a whole: every app, present and future, is in the image (issue 14: an app copied
# one directory at a time was forgotten and the image could not start). What must not reach the image
# (.git, .venv, var/, .env with its secrets, tests) is kept out by .dockerignore, and
# tests/config/test_deploy.py checks that every installed app is in the build context.
COPY . .
RUN pip install --no-deps . \
 && rm -rf build hezhang.egg-info

# The translation catalogues (<app>/locale/*/LC_MESSAGES/django.po) are compiled here; gettext's msgfmt is
# needed only for this step, so it leaves the image with it.
RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext \
 && find /app -path '*/locale/*/LC_MESSAGES/django.po' -execdir msgfmt --check-format -o django.mo django.po \; \
 && apt-get purge -y gettext && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*

# The console's front-end parts from the npm registry, pinned by console/package-lock.json (Debian's node
# and npm, needed only for this step, leave the image with them).
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && bash scripts/console-vendor.sh \
 && rm -rf console/node_modules /root/.npm \
 && apt-get purge -y nodejs npm && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*

# /app stays root-owned and read-only to the service user, so bytecode is compiled now. Only var/media
# (uploads) and var/beat (celery beat's schedule file) are writable at run time.
RUN python -m compileall -q /app \
 && mkdir -p /app/var/static /app/var/media /app/var/beat \
 && chown hezhang:hezhang /app/var/media /app/var/beat

# Static files are collected at build time into DJANGO_STATIC_ROOT. Production settings refuse to load
# without a real secret, a broker and PostGIS, so this one command gets throwaway values; collectstatic
# does not connect to the database or the broker, and none of these values stays in the image.
RUN DJANGO_SECRET_KEY=build-only-not-a-secret-just-long-enough-for-the-check \
    CACHE_URL=rediscache://localhost:6379/1 \
    DATABASE_URL=postgis://build@localhost/build \
    CELERY_BROKER_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --noinput

# Numeric, so that a platform checking runAsNonRoot can tell without reading /etc/passwd.
USER 10001:10001
EXPOSE 8000

# /healthz runs SELECT 1 and answers 503 when the database is away. Django answers 400 to a Host header
# outside ALLOWED_HOSTS, so the probe sends the first entry of DJANGO_ALLOWED_HOSTS (or localhost, which
# the default list holds). docker-compose.yml turns this check off for the services that are not web.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request as r; h = os.environ.get('DJANGO_ALLOWED_HOSTS', '').split(',')[0].strip().lstrip('.'); h = 'localhost' if h in ('', '*') else h; r.urlopen(r.Request('http://127.0.0.1:8000/healthz', headers={'Host': h}), timeout=4)"]

CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4", "--access-logfile", "-"]
