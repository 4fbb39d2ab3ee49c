"""Warehouse services: every write of the warehouses app goes through these modules.

* ``stock``      — stock counters: reserve / release / consume / WMS sync (row locks, ``F()``)
* ``routing``    — choose the warehouse(s) for an order and explain why (reads only)
* ``allocation`` — route + reserve + ``allocate`` transition, and its rollback
* ``scoring``    — priority matrix; set-based rescoring
* ``approval``   — approval rules, review queue, four-eyes second-level review
"""
