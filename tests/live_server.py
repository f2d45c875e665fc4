"""A real waitress server on a loopback port for the length of a test module, stopped without races.

`server.close()` from the test's thread closes the listening socket and the trigger pipe while the
server's own thread may be inside select() on them: select() then fails with EBADF ("Bad file
descriptor") in that thread, which pytest reports as an unhandled thread exception in some runs and
not others. It also leaves the worker threads and any kept-alive connection (a browser's) running.

So the order here is: stop the workers while the loop still runs (a worker finishing a response may
need the loop to flush its output), then ask the loop thread itself to leave its loop, and close every
socket from that thread, after its last select().
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

LOOP_TIMEOUT = 0.05  # seconds per select(): how long stopping may take to be noticed


@contextmanager
def live_server(app, threads: int = 4) -> Iterator[int]:
    """Serve the WSGI `app` on 127.0.0.1; yields the port. Fails the test if the server thread failed."""
    import waitress.server
    from waitress import wasyncore

    server = waitress.server.create_server(app, host="127.0.0.1", port=0, threads=threads,
                                           asyncore_loop_timeout=LOOP_TIMEOUT)
    socket_map = server._map  # waitress keeps the loop's map here; run() would loop on it until closed
    stop = threading.Event()
    failures: list[BaseException] = []

    def loop() -> None:
        try:
            while not stop.is_set():
                wasyncore.loop(timeout=LOOP_TIMEOUT, map=socket_map, count=1)
        except BaseException as exc:  # noqa: BLE001 - reported in the test's thread below
            failures.append(exc)
        finally:
            wasyncore.close_all(socket_map)

    thread = threading.Thread(target=loop, name="waitress-loop", daemon=True)
    thread.start()
    try:
        yield server.effective_port
    finally:
        server.task_dispatcher.shutdown(timeout=10)
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive(), "the waitress loop did not stop"
    assert not failures, f"the waitress loop failed: {failures[0]!r}"
