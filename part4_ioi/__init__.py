"""Part 4: the IOI circuit (Wang et al. 2022)."""
