"""`mabs-wizard serve`: the wizard in a web browser, over textual-serve, made safe to leave running.

textual-serve (Textualize/textual-serve, ``server.py`` / ``app_service.py``) runs one app process per
browser websocket and relays its terminal to xterm.js in the page. As it comes it has no
authentication and no Origin check, hands the server's whole environment to every app, and its page
fetches a web font from the Internet. This package keeps its relay and download plumbing and adds:

* ``guard``: a random token per server start, an HttpOnly SameSite=Strict cookie, 403 on every route
  without it, the websocket's Origin checked against its Host, strict response headers (CSP).
* ``session``: each browser session gets its own output folder and a child started without a shell,
  with ``sys.executable`` and a clean, listed environment (no store password, no token).
* ``server``: the ``Server`` subclass tying those together, at most ``--sessions`` at once (a polite
  page beyond that), and a page template with no external request.
* ``child``: what a session runs: the ordinary wizard (``create_app``) on textual's web driver.
* ``cli``: the click command, registered as an entry point like ``run``.
"""
