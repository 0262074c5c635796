"""Real servers on loopback for the domain-check tests: a DNS server
(UDP, dnslib for the wire format) and SMTP listeners that greet with 220,
greet with 554 or never answer, all on one port at different 127.0.0.x
addresses. Nothing here talks to an address outside 127.0.0.0/8."""

from __future__ import annotations

import socket
import threading
from typing import Union

from dnslib import MX, QTYPE, RCODE, RR, A, DNSRecord

# name -> ("mx", [(pref, host)]) | ("a", ip) | ("empty",) | ("servfail",) | ("slow", seconds)
Entry = tuple[object, ...]


class DnsServer:
    def __init__(self, zone: dict[str, list[Entry]]) -> None:
        self.zone = {k.rstrip(".").lower(): v for k, v in zone.items()}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.addr = "%s:%d" % self.sock.getsockname()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.stopped.set()
        self.thread.join()
        self.sock.close()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                data, peer = self.sock.recvfrom(4096)
            except (socket.timeout, OSError):
                continue
            try:
                req = DNSRecord.parse(data)
            except Exception:
                continue
            reply, delay = self._answer(req)
            packet = reply.pack()
            if delay:
                threading.Timer(delay, self._send, (packet, peer)).start()
            else:
                self._send(packet, peer)

    def _send(self, packet: bytes, peer: tuple[str, int]) -> None:
        try:
            self.sock.sendto(packet, peer)
        except OSError:
            pass

    def _answer(self, req: DNSRecord) -> tuple[DNSRecord, float]:
        reply = req.reply()
        qname = str(req.q.qname).rstrip(".").lower()
        qtype = QTYPE[req.q.qtype]
        entries = self.zone.get(qname)
        if entries is None:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply, 0.0
        delay = 0.0
        for e in entries:
            kind = e[0]
            if kind == "servfail":
                reply.header.rcode = RCODE.SERVFAIL
                return reply, 0.0
            if kind == "slow":
                delay = float(e[1])  # type: ignore[arg-type]
            if kind == "mx" and qtype == "MX":
                for pref, host in e[1]:  # type: ignore[attr-defined]
                    reply.add_answer(RR(req.q.qname, QTYPE.MX, rdata=MX(host, pref), ttl=60))
            if kind == "a" and qtype == "A":
                reply.add_answer(RR(req.q.qname, QTYPE.A, rdata=A(e[1]), ttl=60))
        return reply, delay


GREETS, REJECTS, SILENT = "greets", "rejects", "silent"


class SmtpServers:
    """Listeners at 127.0.0.x (one port for all); any other 127.0.0.x on the
    port refuses. Records every command line received."""

    def __init__(self, hosts: dict[int, str]) -> None:
        self.commands: list[str] = []
        self.stopped = threading.Event()
        self.held: list[socket.socket] = []
        octets = list(hosts)
        for _ in range(50):
            listeners: list[tuple[socket.socket, str]] = []
            first = socket.socket()
            first.bind((f"127.0.0.{octets[0]}", 0))
            self.port = first.getsockname()[1]
            listeners.append((first, hosts[octets[0]]))
            try:
                for o in octets[1:]:
                    s = socket.socket()
                    s.bind((f"127.0.0.{o}", self.port))
                    listeners.append((s, hosts[o]))
            except OSError:
                for s, _ in listeners:
                    s.close()
                continue
            break
        else:
            raise RuntimeError("no free loopback port for the SMTP listeners")
        self.listeners = listeners
        for s, kind in listeners:
            s.listen(16)
            s.settimeout(0.05)
            threading.Thread(target=self._accept, args=(s, kind), daemon=True).start()

    def close(self) -> None:
        self.stopped.set()
        for s, _ in self.listeners:
            s.close()
        for c in self.held:
            c.close()

    def _accept(self, s: socket.socket, kind: str) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = s.accept()
            except (socket.timeout, OSError):
                continue
            if kind == SILENT:
                self.held.append(conn)
                continue
            threading.Thread(target=self._session, args=(conn, kind), daemon=True).start()

    def _session(self, conn: socket.socket, kind: str) -> None:
        conn.settimeout(10)
        with conn, conn.makefile("rwb") as f:
            greeting: Union[bytes, str]
            if kind == GREETS:
                greeting = b"220-mx.loopback.test ESMTP\r\n220 ready\r\n"
            else:
                greeting = b"554 5.7.1 no mail accepted here\r\n"
            f.write(greeting)
            f.flush()
            for raw in f:
                cmd = raw.decode("latin-1").rstrip("\r\n")
                self.commands.append(cmd)
                verb = cmd.split(" ")[0].upper()
                if verb == "QUIT":
                    f.write(b"221 2.0.0 bye\r\n")
                    f.flush()
                    return
                if kind == GREETS and verb == "EHLO":
                    f.write(b"250-mx.loopback.test\r\n250-STARTTLS\r\n250 8BITMIME\r\n")
                else:
                    f.write(b"503 5.5.1 only QUIT\r\n")
                f.flush()
