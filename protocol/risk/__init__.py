"""Risk scoring (spec section 5): calibration and attenuation, aggregation of sightings into
exposure windows, the deployed scorers (GAEN v1, GAEN v2 daily summaries, Corona-Warn-App),
and the optional proximity-aware profile. Measuring scorers against ground truth is the
lab's work (``bluezone.reference_node.lab``), not the protocol's.

Modules: ``cwa``, ``v2``, ``v1``, ``proximity``, ``aggregation``, ``calibration``. Every
configuration and table comes in as a value (decoded JSON or CSV text): the core reads no
file. The shipped profiles and table are loaded by ``bluezone.reference_node.risk_profiles``.
"""
