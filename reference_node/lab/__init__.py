"""The risk lab (not normative): encounter simulator, NHS data, scorers, statistics, figures.

Nothing here is part of the protocol; ``bluezone risk evaluate`` uses it to measure the
scorers of ``bluezone.protocol.risk`` against ground truth. ``bz2020_leak`` measures what
the uploads of the 2020 Bluezone app leaked, against one published TEK of this protocol.
"""
