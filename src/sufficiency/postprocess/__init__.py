"""From a solution to tables: placements, gap, places and their value, capital, headline."""
