def seed() -> None:
    raise SystemExit("seed: not built yet")
