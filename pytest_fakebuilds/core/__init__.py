"""The machinery every resource family shares: the wire types, routing and
dispatch, errors, paging, SIDs, records, the store and the clock.

Nothing here knows a resource family's rules; ``serverless`` builds on it.
"""
