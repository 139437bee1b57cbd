"""``zhunsheng serve``: start the officers' web application (engine.web.app) under uvicorn.

Exit codes: 0 stopped (Ctrl-C); 2 bad options, rules that do not load, or an address that cannot be
bound (a port in use); 3 internal error.  It binds to 127.0.0.1 unless told otherwise: the pages carry
case data and are meant for this machine, or for an intranet the administrator chooses with ``--host``.
"""
from __future__ import annotations

import socket

import click

from engine.cli_support import UserError, guard
from engine.web.settings import MB, Settings, loopback_hosts


def _check_bindable(host: str, port: int) -> None:
    """Fail before the rules load and the server starts when the address is taken or not ours."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise UserError(f"无法解析地址 (cannot resolve the host) {host}: {e}") from None
    family, _, _, _, addr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr)
        except OSError as e:
            raise UserError(f"无法监听 {host}:{port}，端口可能已被占用 (cannot listen on {host}:{port}; "
                            f"is the port in use?): {e.strerror}") from None


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="监听地址；默认只有本机可以访问 Address to listen on (default: this machine only).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="端口 Port.")
@click.option("--token", envvar="ZHUNSHENG_TOKEN", default=None,
              help="访问令牌：上传审查须提供（也可用环境变量 ZHUNSHENG_TOKEN） Access token the upload endpoints "
                   "require (or ZHUNSHENG_TOKEN).")
@click.option("--max-upload-mb", type=click.IntRange(1, 2048), default=20, show_default=True,
              help="上传文件大小上限（MB） Largest upload, in MB.")
@click.option("--max-rows", type=click.IntRange(1), default=200_000, show_default=True,
              help="一次上传的记录条数上限 Most records one upload may hold.")
@click.option("--keep-minutes", type=click.IntRange(1), default=60, show_default=True,
              help="审查结束后保留上传和结果的分钟数 Minutes uploads and outputs are kept after a review ends.")
@guard
def serve(host, port, token, max_upload_mb, max_rows, keep_minutes):
    """执法助手网页：裁量计算、法规库、批量审查和 JSON 接口（默认 http://127.0.0.1:8000）。
    The officers' web application: penalty calculator, provision library, batch review and a JSON API.

    退出码 Exit codes: 0 已停止 stopped; 2 选项、规则或地址有误 bad options, rules or address; 3 内部错误 internal error.
    """
    try:
        import uvicorn

        from engine.web.app import create_app
    except ImportError as e:
        raise UserError(f"缺少网页所需的软件包 (a package the web application needs is missing): {e.name}; "
                        "请安装 install: pip install fastapi uvicorn python-multipart jinja2") from None
    _check_bindable(host, port)
    c = click.get_current_context().find_root().obj
    ruleset, calendar = c.ruleset, c.calendar            # load now: a bad rules folder fails here, exit 2
    settings = Settings(token=token or None, max_upload_bytes=max_upload_mb * MB, max_rows=max_rows,
                        keep_seconds=keep_minutes * 60, allowed_hosts=loopback_hosts(host, port))
    if host not in ("127.0.0.1", "localhost", "::1") and not token:
        click.echo(f"注意：监听 {host} 且未设访问令牌，同一网络中的任何人都可上传文件 (warning: listening on {host} "
                   "without --token; anyone on the network can upload)", err=True)
    click.echo(f"准绳执法助手已启动 serving on http://{host}:{port}  (Ctrl-C 停止 to stop)", err=True)
    uvicorn.run(create_app(ruleset, calendar, settings), host=host, port=port, log_level="warning",
                server_header=False, proxy_headers=False)
