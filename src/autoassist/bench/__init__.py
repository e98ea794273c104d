"""Benchmarks: each writes raw numbers to JSON; plots and tables read only the JSON."""
