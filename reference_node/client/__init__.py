"""The key server's client: what devices, health authorities, auditors and witnesses call.

The node downloads and uploads through it, ``bluezone audit`` checks a log with it, and a
witness cosigns with it.
"""
