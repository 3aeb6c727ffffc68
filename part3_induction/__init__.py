"""Part 3: induction heads (Olsson et al. 2022)."""
