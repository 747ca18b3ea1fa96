"""Database round trips and statements per request, counted on the wire.

A TCP proxy in front of PostgreSQL reads the frontend protocol of every
connection that passes through it and tallies:
  - round trips: the client's flights that end in a wait for the server (a
    Sync, the end of an extended-protocol exchange, or a simple Query). A
    client that pipelines sends several such messages in one flight (one
    read here): that is one round trip, as it costs one on the network;
  - statements: an Execute, or a simple Query.
Unlike throughput these do not depend on the machine, so bench/run reports
them beside its timings (the budget test in server/tests/it/round_trips.rs
asserts the tenant page's).
"""

import socket
import struct
import threading
import time

SSL_REQUEST, GSS_REQUEST, PROTOCOL_3 = 80877103, 80877104, 196608


class WireCounter:
    def __init__(self, upstream_host, upstream_port):
        self.upstream = (upstream_host, int(upstream_port))
        self.lock = threading.Lock()
        self.round_trips = 0
        self.statements = 0
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def snapshot(self):
        with self.lock:
            return self.round_trips, self.statements

    def wait_quiet(self, quiet=1.0, limit=120.0):
        """Waits until nothing was sent for `quiet` seconds (a server's
        start-up passes over every tenant are done), at most `limit`."""
        deadline = time.monotonic() + limit
        last = self.snapshot()
        while time.monotonic() < deadline:
            time.sleep(quiet)
            now = self.snapshot()
            if now == last:
                return
            last = now

    def _accept(self):
        while True:
            client, _ = self.listener.accept()
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        try:
            upstream = socket.create_connection(self.upstream)
        except OSError:
            client.close()
            return
        for s in (client, upstream):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=_copy, args=(upstream, client), daemon=True).start()
        try:
            self._frontend(client, upstream)
        except OSError:
            pass  # a process under test went away mid-connection
        finally:
            for s in (client, upstream):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def _frontend(self, client, upstream):
        """Forwards the client's bytes as they come and counts its messages
        (a message may arrive in pieces, or many in one read)."""
        pending = b""
        started = False
        while True:
            data = client.recv(65536)
            if not data:
                return
            upstream.sendall(data)
            pending += data
            waits = False
            while True:
                if not started:
                    # Untyped startup packets: SSL/GSS requests, then the
                    # startup message itself.
                    if len(pending) < 8:
                        break
                    size, code = struct.unpack("!II", pending[:8])
                    if len(pending) < size:
                        break
                    pending = pending[size:]
                    started = code not in (SSL_REQUEST, GSS_REQUEST)
                    continue
                if len(pending) < 5:
                    break
                kind, size = pending[:1], struct.unpack("!I", pending[1:5])[0]
                if len(pending) < 1 + size:
                    break
                pending = pending[1 + size:]
                waits = self._count(kind) or waits
            if waits:
                with self.lock:
                    self.round_trips += 1

    def _count(self, kind):
        """Counts a statement; says whether the message waits for an answer."""
        if kind in (b"Q", b"E"):
            with self.lock:
                self.statements += 1
        return kind in (b"Q", b"S")


def _copy(source, target):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            target.sendall(data)
    except OSError:
        pass
    finally:
        try:
            target.shutdown(socket.SHUT_WR)
        except OSError:
            pass
