"""Pure, sans-I/O implementation of the Bluezone exposure-notification protocol."""
