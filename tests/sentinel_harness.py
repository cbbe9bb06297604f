"""A real Redis Sentinel for tests: ``redis-server sentinel.conf --sentinel`` on a free port."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import redis

from workers.embedded import find_redis_server, free_port

MASTER = "mymaster"


class Sentinel:
    """A real ``redis-server --sentinel`` monitoring one master, quorum 1, fast to fail over."""

    def __init__(self, workdir: Path, master_port: int) -> None:
        self.port = free_port()
        conf = workdir / "sentinel.conf"
        conf.write_text("\n".join([
            f"port {self.port}", "bind 127.0.0.1", f"dir {workdir}", 'logfile ""',
            f"sentinel monitor {MASTER} 127.0.0.1 {master_port} 1",
            f"sentinel down-after-milliseconds {MASTER} 1000",
            f"sentinel failover-timeout {MASTER} 4000",
        ]) + "\n")
        self.log = (workdir / "sentinel.log").open("wb")
        self.proc = subprocess.Popen([str(find_redis_server(prefer="path")), str(conf), "--sentinel"],
                                     stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        self.client = redis.Redis(port=self.port, decode_responses=True, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        while not self._answers():
            assert self.proc.poll() is None and time.monotonic() < deadline, "sentinel did not start"
            time.sleep(0.02)

    def _answers(self) -> bool:
        try:
            return bool(self.client.ping())
        except redis.ConnectionError:
            return False

    @property
    def url(self) -> str:
        return f"sentinel://127.0.0.1:{self.port}/0"

    def master_port(self) -> int:
        return int(self.client.sentinel_get_master_addr_by_name(MASTER)[1])

    def knows_replica(self, port: int) -> bool:
        return any(int(r["port"]) == port and r.get("master-link-status") == "ok"
                   and "disconnected" not in r["flags"] for r in self.client.sentinel_slaves(MASTER))

    def stop(self) -> None:
        self.client.close()
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()
