"""The device runtime: the asyncio node and the pieces it runs.

Identity and key rotation, the scan loop, the exposure check against the store, reporting a
diagnosis, the key sources it downloads from, its settings and its logs. The decisions these
make are in ``bluezone.protocol``; this package does the I/O around them.
"""
