"""``zhunsheng serve`` as a user starts it: a process of its own, on 127.0.0.1 by default, that stops
with exit code 0 on Ctrl-C and refuses a port in use with exit code 2 and a Chinese-first reason."""
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

from .conftest import ZHUNSHENG, free_port


def start(*args):
    return subprocess.Popen([str(ZHUNSHENG), "serve", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONUTF8": "1"})


def test_serves_on_localhost_and_stops_cleanly():
    port = free_port()
    proc = start("--port", str(port))
    try:
        deadline = time.time() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as res:
                    page = res.read().decode("utf-8")
                    break
            except OSError:
                assert proc.poll() is None, proc.stderr.read()
                assert time.time() < deadline, "serve did not answer"
                time.sleep(0.2)
        assert "裁量计算" in page and "法规库" in page and "批量审查" in page
        rebound = urllib.request.Request(f"http://127.0.0.1:{port}/api/provisions", headers={"Host": "evil.example"})
        try:
            urllib.request.urlopen(rebound, timeout=5)
            raise AssertionError("a foreign Host header was answered")
        except urllib.error.HTTPError as e:
            assert e.code == 400 and "主机名不符" in e.read().decode("utf-8")
        listening = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True).stdout \
            if os.path.exists("/usr/bin/ss") or os.path.exists("/bin/ss") else ""
        if listening:
            assert [line.split()[3] for line in listening.splitlines()] == [f"127.0.0.1:{port}"]
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "准绳执法助手已启动" in err


def test_a_port_in_use_is_refused_with_exit_code_2():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        res = subprocess.run([str(ZHUNSHENG), "serve", "--port", str(port)], capture_output=True, text=True,
                             timeout=60)
    assert res.returncode == 2
    assert res.stderr.startswith("错误 (error): 无法监听") and "端口可能已被占用" in res.stderr
    assert "Traceback" not in res.stderr


def test_help_is_chinese_first():
    res = subprocess.run([str(ZHUNSHENG), "serve", "--help"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0
    assert "执法助手网页" in res.stdout and "127.0.0.1" in res.stdout and "ZHUNSHENG_TOKEN" in res.stdout
