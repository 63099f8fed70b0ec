"""Preprocessing: levers, need levels, continuity stock, capital options and cost arrays."""
