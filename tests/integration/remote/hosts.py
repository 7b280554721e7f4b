"""Two "machines" on this one: network namespaces joined by one veth pair, nothing else.

Host A and host B each get one end of the veth and an address from a private /30 that exists
only inside them; the root namespace never gets one, so no traffic of the test can leave
through the machine's own interfaces. A namespace does not isolate the hostname, so host B's
processes also run under `unshare --uts` with a name of their own.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


@dataclass(frozen=True)
class Host:
    netns: str
    address: str
    name: str

    def argv(self, *argv: str) -> list[str]:
        """`argv` run on this host."""
        return ["ip", "netns", "exec", self.netns, *argv]


@dataclass(frozen=True)
class HostPair:
    a: Host
    b: Host
    veth: tuple[str, str]


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


def _addresses(tag: str) -> tuple[str, str]:
    """.1 and .2 of a /30 in 10.231.0.0/16 chosen from the tag: two runs at once rarely share one,
    and when they do it does not matter (each pair sees only its own veth)."""
    third, fourth = int(tag[:2], 16), int(tag[2:4], 16) & 0xFC
    return f"10.231.{third}.{fourth + 1}", f"10.231.{third}.{fourth + 2}"


@contextlib.contextmanager
def host_pair() -> Iterator[HostPair]:
    """Namespaces airkit-a-<tag> and airkit-b-<tag> with one veth between them; deleted (and the
    veth with them) on the way out, also after a failure half way through."""
    tag = secrets.token_hex(3)
    address_a, address_b = _addresses(tag)
    pair = HostPair(Host(f"airkit-a-{tag}", address_a, f"hosta-{tag}"),
                    Host(f"airkit-b-{tag}", address_b, f"hostb-{tag}"), (f"akva{tag}", f"akvb{tag}"))
    try:
        for host in (pair.a, pair.b):
            _ip("netns", "add", host.netns)
        _ip("link", "add", pair.veth[0], "type", "veth", "peer", "name", pair.veth[1])
        for host, end in ((pair.a, pair.veth[0]), (pair.b, pair.veth[1])):
            _ip("link", "set", end, "netns", host.netns)
            _ip("-n", host.netns, "addr", "add", f"{host.address}/30", "dev", end)
            _ip("-n", host.netns, "link", "set", "lo", "up")
            _ip("-n", host.netns, "link", "set", end, "up")
        yield pair
    finally:
        # A veth still in the root namespace (a failure before it moved) is not deleted with them.
        subprocess.run(["ip", "link", "del", pair.veth[0]], check=False, capture_output=True)
        for host in (pair.a, pair.b):
            subprocess.run(["ip", "netns", "del", host.netns], check=False, capture_output=True)


@contextlib.contextmanager
def resolving(host: Host, other: Host) -> Iterator[None]:
    """`host`'s processes resolve `other`'s name, as a LAN's DNS would: `ip netns exec` mounts
    /etc/netns/<netns>/hosts over /etc/hosts (this machine's entries plus that one)."""
    parent = Path("/etc/netns")
    made_parent = not parent.exists()
    folder = parent / host.netns
    folder.mkdir(parents=True)
    try:
        hosts = Path("/etc/hosts").read_text()
        (folder / "hosts").write_text(f"{hosts.rstrip()}\n{other.address}\t{other.name}\n")
        yield
    finally:
        (folder / "hosts").unlink(missing_ok=True)
        folder.rmdir()
        if made_parent:
            parent.rmdir()


def _setns(fd: int) -> None:
    if _libc.setns(fd, _CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


@contextlib.contextmanager
def entered(host: Host) -> Iterator[None]:
    """This thread's sockets open on `host` (the test's REST and Postgres clients play a client
    on host A); the thread's own namespace again afterwards. Only the calling thread moves."""
    with open("/proc/thread-self/ns/net") as home, open(f"/run/netns/{host.netns}") as target:
        _setns(target.fileno())
        try:
            yield
        finally:
            _setns(home.fileno())


def tail(path: Path, lines: int = 60) -> str:
    if not path.exists():
        return f"(no {path})"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
