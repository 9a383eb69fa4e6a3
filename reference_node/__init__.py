"""The asyncio node, radio backends, store, key server and CLI: everything with I/O."""
