"""village-credit: the domain core and HTTP API of the whole-village credit platform (整村授信)."""

__version__ = "0.1.0"
