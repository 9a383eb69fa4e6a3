"""The key server: verification codes, key upload, signed batches and the transparency log.

Spec section 4 (EXP, LOG, SRV rules). ``app`` builds the aiohttp application, ``runner``
starts it, ``publisher`` makes batches and checkpoints, ``requests`` parses request bodies,
``ratelimit`` holds the token buckets, ``storage`` keeps state (SQLite or PostgreSQL),
``files``, ``index`` and ``keyfiles`` write what is served and the keys it signs with.
What devices, auditors and witnesses call is ``bluezone.reference_node.client``.
Needs the ``server`` extra (``postgres`` for PostgreSQL).
"""
