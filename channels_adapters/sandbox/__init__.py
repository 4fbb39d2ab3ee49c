"""Faithful fake platform gateways for tests, the demo and ``simulate``.

Mounted at ``/sandbox/<platform>/`` when ``LIUZHUAN_SANDBOX=1`` (``sandbox_urls``):

* ``taobao/router/rest`` — TOP router (``taobao.py``): fullinfo, sold.increment, TMC
  consume/confirm (unconfirmed messages come back after 60 s), logistics.offline.send.
* ``jd/routerjson`` — JOS (``jd.py``): enSearch, enGet, shipment.
* ``pdd/api/router`` — PDD (``pdd.py``): information.get, number.list.increment.get
  (with index lag), logistics.online.send.
* ``douyin/order/…`` — Doudian open API (``douyin.py``): orderDetail, searchList, logisticsAdd;
  ``engine.douyin_pushes_send`` is the push sender to our ``/hooks/douyin/<shop>/``.

Orders live in ``SandboxDocument`` (native JSON + a platform-neutral state, ``orders.py``);
``engine`` creates and advances them and emits pushes with ``Chaos`` (drop, duplicate,
delay, reorder).  Each gateway checks signatures with its *own* implementation of the
scheme, so a mistake in our client shows up as a rejected call rather than being
mirrored; windows, page sizes, timestamps, tokens and flow control (``common``) are
enforced with the platform's own error envelope.  ``inprocess`` routes our HTTP
clients to these views without a server; ``simulate`` drives a whole storm.
"""
