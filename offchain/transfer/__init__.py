"""Encrypted transfer of models: OpenPGP keys and messages, the stores that carry them, and
the copies of an IPFS object on other nodes (replication).

Knows nothing of the chain or of orders: the order steps hand it keys and files.
"""
