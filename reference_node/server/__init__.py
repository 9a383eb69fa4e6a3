"""The key server: verification codes, key upload, signed batches and the transparency log.

Spec section 4 (EXP, LOG, SRV rules). ``app`` builds the aiohttp application, ``publisher``
makes batches and checkpoints, ``storage`` keeps state, ``client`` is what devices and
health authorities call, ``audit`` checks a log from outside.
"""
