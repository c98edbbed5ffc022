"""``watcher run`` and ``watcher status``: the long-running daemon and the view into it.

``schedule`` decides when each feed is polled (pure), ``scheduler`` runs the jobs, ``heartbeat``
and ``status`` tell how it is doing from any process, ``signals`` and ``lock`` keep it well-behaved.
"""
