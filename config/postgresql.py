"""A deadline for every wait on PostgreSQL, on the client's side.

statement_timeout is enforced by the server: a server that no longer answers at all (frozen,
or a network that drops packets without resetting the connection) would keep a request
waiting until gunicorn kills its worker. psycopg2 lets a wait callback replace its blocking
waits (the mechanism green threads use); this one gives up after `seconds`, so that the
request ends in an OperationalError, which the error handler turns into a 503 page.

Connecting gets `connect_seconds`, any other wait `query_seconds`: a request that finds its
persistent connection frozen waits for both (the health check, then a new connection).
"""

import select
import time

import psycopg2
from psycopg2 import extensions


def install_deadline(connect_seconds, query_seconds):
    def wait_with_deadline(connection):
        connecting = connection.status == extensions.STATUS_SETUP
        seconds = connect_seconds if connecting else query_seconds
        deadline = time.monotonic() + seconds
        while True:
            state = connection.poll()
            if state == extensions.POLL_OK:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise psycopg2.OperationalError(
                    f"PostgreSQL did not answer within {seconds} seconds"
                )
            if state == extensions.POLL_READ:
                select.select([connection.fileno()], [], [], remaining)
            elif state == extensions.POLL_WRITE:
                select.select([], [connection.fileno()], [], remaining)
            else:
                raise psycopg2.OperationalError(f"Unexpected state from poll(): {state}")

    extensions.set_wait_callback(wait_with_deadline)
