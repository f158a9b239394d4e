"""Pure domain code: no discord, no I/O. Frozen dataclasses and functions over them."""
