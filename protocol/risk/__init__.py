"""Risk scoring (spec section 5): calibration and attenuation, aggregation of sightings into
exposure windows, the deployed scorers (GAEN v1, GAEN v2 daily summaries, Corona-Warn-App),
and the optional proximity-aware profile. Measuring scorers against ground truth is the
lab's work (``bluezone.reference_node.lab``), not the protocol's.

Entry points: ``bluezone.protocol.risk.api`` (JSON in, JSON out, as the adapter ops use them)
and the modules ``cwa``, ``v2``, ``v1``, ``proximity``, ``aggregation``, ``calibration``.
"""
