# Backprop Lab in a container: a slim Python, the wheel built from this checkout, a user
# that is not root, the server on every interface of the container.
#
#   docker build -t backprop-lab .
#   docker run --rm -p 8000:8000 backprop-lab          # then http://localhost:8000/
#
# The server answers only the Host names it serves (localhost, 127.0.0.1, [::1]): to reach
# it by another name or address, say which, e.g.
#
#   docker run --rm -p 8000:8000 backprop-lab \
#       backprop-lab serve --host 0.0.0.0 --allowed-host lab.example.org
#
# (or -e BACKPROP_LAB_ALLOWED_HOSTS=lab.example.org). SECURITY.md says how to serve a
# network. tests/test_docker.py checks what this file copies and runs.

FROM python:3.11-slim AS build
# a C compiler for the layout's compiled crossing search (app/layout/_ordering.c); the
# runtime image gets only the built wheel
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# exactly what the wheel is built from (pyproject.toml lists it): the package, the page
COPY pyproject.toml README.md backprop_lab.py ./
COPY app ./app
COPY static ./static
COPY templates ./templates
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 lab
COPY --from=build /wheels /wheels
# EXTRAS=queue (compose.yaml) adds RQ and redis: `serve --redis URL`, `backprop-lab worker`
ARG EXTRAS=""
RUN wheel="$(ls /wheels/*.whl)" && pip install --no-cache-dir "${wheel}${EXTRAS:+[$EXTRAS]}" \
    && rm -rf /wheels
USER lab
WORKDIR /home/lab
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["backprop-lab", "serve", "--host", "0.0.0.0", "--port", "8000"]
