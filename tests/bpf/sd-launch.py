#!/usr/bin/env python3
"""Start a program as systemd would for a socket-activated Type=notify unit.

sd-launch.py DIR PROGRAM ARGS...: binds 127.0.0.1:0, passes the listening
socket as fd 3 (LISTEN_FDS=1, LISTEN_PID the program's), listens for
sd_notify datagrams on DIR/notify (NOTIFY_SOCKET), and prints one line per
event: "port N", "notify MESSAGE", then "exit STATUS".  It
stops the program with SIGTERM once READY=1 arrived and DIR/scraped exists
(the test's scrapes are done), or after 30 s, and prints its exit status.
"""
import os
import signal
import socket
import sys
import time

d, argv = sys.argv[1], sys.argv[2:]
lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
lsock.bind(("127.0.0.1", 0))
lsock.listen(16)
print("port", lsock.getsockname()[1], flush=True)
nsock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
nsock.bind(os.path.join(d, "notify"))
# As systemd's own: the program may have dropped to another user by then.
os.chmod(os.path.join(d, "notify"), 0o777)
nsock.settimeout(0.1)

pid = os.fork()
if pid == 0:
    os.dup2(lsock.fileno(), 3)
    os.set_inheritable(3, True)         # dup2 onto itself keeps CLOEXEC
    os.environ.update(LISTEN_FDS="1", LISTEN_PID=str(os.getpid()),
                      NOTIFY_SOCKET=os.path.join(d, "notify"))
    os.execvp(argv[0], argv)
lsock.close()

ready, deadline = False, time.monotonic() + 30
while True:
    try:
        msg = nsock.recv(4096).decode()
        print("notify", msg.replace("\n", " "), flush=True)
        ready = ready or "READY=1" in msg.split("\n")
    except socket.timeout:
        pass
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        print("exit", os.waitstatus_to_exitcode(status), flush=True)
        break
    if (ready and os.path.exists(os.path.join(d, "scraped"))) or \
       time.monotonic() > deadline:
        os.kill(pid, signal.SIGTERM)
        print("exit", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]),
              flush=True)
        break
