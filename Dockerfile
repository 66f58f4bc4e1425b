# Frontdesk: one image for every role (serve, worker); docker-compose.yml picks the command.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 FRONTDESK_DATA_DIR=/var/lib/frontdesk
RUN useradd --system --create-home --home-dir /var/lib/frontdesk frontdesk
WORKDIR /app
COPY pyproject.toml README.md ./
COPY frontdesk ./frontdesk
COPY channels ./channels
COPY router ./router
COPY classifier ./classifier
COPY outbound ./outbound
COPY workers ./workers
COPY config ./config
RUN pip install --no-cache-dir .

USER frontdesk
EXPOSE 8080 2525
ENTRYPOINT ["frontdesk"]
CMD ["serve", "--host", "0.0.0.0"]
