"""Encrypted transfer of models: OpenPGP keys and messages, and the stores that carry them.

Knows nothing of the chain or of orders: the order steps hand it keys and files.
"""
