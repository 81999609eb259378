"""The production server: gunicorn, one process, many threads (Flask-SocketIO's supported shape).

Several such processes scale out behind a load balancer with sticky sessions; they share the
Redis message queue, so an event emitted anywhere reaches every socket.
"""

from __future__ import annotations

from gunicorn.app.base import BaseApplication


class _Server(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from server.app import create_app

        return create_app()


def run_server(host: str, port: int, threads: int) -> None:
    _Server(
        {
            "bind": f"{host}:{port}",
            "workers": 1,  # Socket.IO sessions live in the process: never more than one worker
            "worker_class": "gthread",
            "threads": threads,
            "timeout": 120,
            "accesslog": "-",
            "forwarded_allow_ips": "127.0.0.1",
        }
    ).run()
