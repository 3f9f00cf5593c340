"""moto's server, with DynamoDB's conditional writes made atomic as they are on AWS.

    python -m devstack.moto_server -H 127.0.0.1 -p PORT

moto serves each request on its own thread and checks a ConditionExpression, then writes, without a lock: two
racing PATCHes of one version could both win (seen 3 times in 8 runs on a loaded machine), which DynamoDB never
allows. Here every DynamoDB request runs alone; the other services (SQS's long polls above all) stay concurrent.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto import server as moto_server

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def serialise_dynamodb(app: WsgiApp) -> WsgiApp:
    """WSGI middleware: DynamoDB requests (X-Amz-Target DynamoDB_*) one at a time, everything else as it comes."""
    lock = threading.Lock()

    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            return app(environ, start_response)
        with lock:
            # moto builds the whole body inside the call; read it under the lock all the same.
            return list(app(environ, start_response))

    return serve


def main(argv: list[str] | None = None) -> None:
    dispatcher: Any = getattr(moto_server, "DomainDispatcherApplication")  # noqa: B009 - not in moto.server's __all__

    class SerialDispatcher(dispatcher):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._serve = serialise_dynamodb(super().__call__)  # one lock for the whole server

        def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            return self._serve(environ, start_response)

    setattr(moto_server, "DomainDispatcherApplication", SerialDispatcher)  # noqa: B010 - main() builds its app from this name
    moto_server.main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
