"""Sweeps: grids of runs on Ray (:mod:`.grid` is light; :mod:`.engine` loads Ray when it runs)."""
