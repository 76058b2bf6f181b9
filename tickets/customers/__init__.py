"""Customers: profile, contact points, search, merging duplicates, lookup by phone."""
