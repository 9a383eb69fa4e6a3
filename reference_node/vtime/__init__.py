"""Virtual time: clocks, an asyncio event loop on virtual time, and inline executors.

Simulations, the demo, benchmarks and tests run the real node on these, so a simulated day
takes seconds.
"""
