"""Serving the API with several worker processes on one listening socket.

uvicorn's own ``--workers`` gives a worker no stable identity, but each of ours needs one:
its MQTT ingest keeps a persistent session (client id ``...-wINDEX``) in a shared
subscription, and a restarted worker must resume its slot's session to receive what the
broker queued for it. So the parent binds the socket once, starts one process per slot
with ``PORTGATE_WORKER_INDEX`` set, restarts a slot whose process dies, and prepares what
the workers share: Prometheus' multiprocess directory, and in dev mode the random secrets
(tokens signed by one worker must verify on another, and a face template sealed by one
must open on another).
"""

import logging
import multiprocessing
import os
import shutil
import signal
import socket
import tempfile
import time
from multiprocessing.context import SpawnProcess
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from prometheus_client import multiprocess

from central_api.app import create_app
from central_api.config import Settings
from central_api.metrics import MULTIPROC_ENV

__all__ = ["SHARE_GROUP", "serve_workers", "worker_app"]

logger = logging.getLogger(__name__)
SHARE_GROUP = "portgate-ingest"
_RESTART_PAUSE_S = 1.0


def worker_app() -> FastAPI:
    """The app of one worker process, configured from the environment (uvicorn factory)."""
    return create_app(Settings(), server=True)


def _export_shared_secrets(settings: Settings) -> None:
    # Dev mode invents secrets per process; the workers must all use the parent's.
    if settings.secret_key is not None:
        os.environ.setdefault("PORTGATE_SECRET_KEY", settings.secret_key.get_secret_value())
    if settings.template_key is not None:
        os.environ.setdefault("PORTGATE_TEMPLATE_KEY", settings.template_key.get_secret_value())


def _run_worker(index: int, sock: socket.socket, options: dict[str, Any]) -> None:
    os.environ["PORTGATE_WORKER_INDEX"] = str(index)
    config = uvicorn.Config("central_api.serve:worker_app", factory=True, **options)
    uvicorn.Server(config).run(sockets=[sock])


def serve_workers(
    *,
    settings: Settings,
    host: str,
    port: int,
    workers: int,
    log_level: str = "info",
    access_log: bool = False,
    log_config: dict[str, Any] | None = None,
) -> None:
    """Run `workers` API processes on ``host:port`` until SIGINT/SIGTERM.

    Args:
        settings: The validated settings (dev-mode secrets are handed to the workers).
        host: Address to listen on.
        port: TCP port.
        workers: Number of worker processes (at least 2; one needs no supervisor).
        log_level: uvicorn's log level.
        access_log: Whether uvicorn logs every request.
        log_config: uvicorn's logging config for each worker (None: uvicorn's default).
    """
    _export_shared_secrets(settings)
    os.environ["PORTGATE_INGEST_SHARE_GROUP"] = SHARE_GROUP
    metrics_dir = Path(tempfile.mkdtemp(prefix="portgate-metrics-"))
    os.environ[MULTIPROC_ENV] = str(metrics_dir)
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": log_level,
        "access_log": access_log,
        "timeout_keep_alive": 30,
        "backlog": 4096,
    }
    if log_config is not None:  # `portgate --log-format json`: every worker logs JSON
        options["log_config"] = log_config
    sock = uvicorn.Config("central_api.serve:worker_app", factory=True, **options).bind_socket()
    context = multiprocessing.get_context("spawn")
    stopping = False

    def start(index: int) -> SpawnProcess:
        process = context.Process(
            target=_run_worker, args=(index, sock, options), name=f"portgate-api-w{index}"
        )
        process.start()
        return process

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    processes = {index: start(index) for index in range(workers)}
    logger.info("portgate api: %d workers on %s:%d", workers, host, port)
    try:
        while not stopping:
            time.sleep(0.5)
            for index, process in list(processes.items()):
                if process.is_alive() or stopping:
                    continue
                logger.error("worker %d exited (%s); restarting it", index, process.exitcode)
                if process.pid is not None:
                    multiprocess.mark_process_dead(process.pid)  # type: ignore[no-untyped-call]
                time.sleep(_RESTART_PAUSE_S)
                processes[index] = start(index)
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            process.join(10)
        sock.close()
        shutil.rmtree(metrics_dir, ignore_errors=True)
