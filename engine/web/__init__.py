"""``zhunsheng serve``: a small web application for officers who never open a terminal.

Pages are rendered on the server (Jinja2, autoescape on) and call the same engine functions the
commands call (``check_record`` for the calculator, the review pipeline for uploads), so a page, the
JSON API and the command line cannot disagree.  Modules: ``settings`` (limits), ``search`` and
``form`` (the calculator), ``library`` (the legislation explorer), ``jobs`` (uploads in a private
folder), ``errors`` (Chinese-first errors, no traceback), ``pages`` and ``api`` (routes), ``app``
(assembly), ``commands`` (the click command).
"""
