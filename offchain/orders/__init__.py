"""The order steps, the market (matching of parts with open orders) and the views of orders.

The one layer that combines parts, transfer and the chain.
"""

#: How ``market.offers`` (``ape run order match --rank``) can rank the offers: by price, delivery
#: and fit, or by the producer's track record first. Here, not in ``market``, so the CLI offers
#: the choice without loading the market.
RANKINGS = ("price", "record")
